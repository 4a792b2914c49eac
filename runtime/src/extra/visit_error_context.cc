// VisitErrorContext::FindAccessPaths: a depth-first walk from the root over reflected fields,
// Array/List items and Map/Dict values that tracks how many of the recorded nodes (outermost
// first) the current path has passed through. Reaching all of them yields the path; with
// allow_prefix_match, a subtree that matched only the outer part and produced no path yields
// the path to the deepest matching node. Paths are built lazily, sharing their common prefix.
// This runs while an error is being reported, so nothing here throws: unreadable fields and
// null entries are skipped.
#include <tvm/ffi/extra/visit_error_context.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>

#include <utility>
#include <vector>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace {

using reflection::AccessPath;
using reflection::AccessStep;

class PathFinder {
 public:
  PathFinder(const VisitErrorContext& context, bool allow_prefix) : allow_prefix_(allow_prefix) {
    // Drop null entries and collapse a node recorded twice in a row (a throw site and the
    // visit that encloses it both record the node).
    for (const ObjectRef& node : context->reverse_visit_pattern) {
      if (!node.defined()) continue;
      if (!pattern_.empty() && pattern_.back().same_as(node)) continue;
      pattern_.push_back(node);
    }
  }

  Array<AccessPath> Find(const ObjectRef& root) {
    if (!pattern_.empty()) VisitObject(root);
    return Array<AccessPath>(found_.begin(), found_.end());
  }

 private:
  // A step not yet made into an AccessStep (most walks never need one).
  struct Step {
    enum Kind { kField, kItem, kKey } kind;
    const TVMFFIFieldInfo* field = nullptr;
    int64_t index = 0;
    Any key;
  };

  // The next node to match, outermost first.
  const ObjectRef& Expected() const { return pattern_[pattern_.size() - 1 - matched_]; }

  void VisitValue(const Any& value) {
    int32_t type_index = value.type_index();
    if (type_index < TypeIndex::kTVMFFIStaticObjectBegin) return;
    switch (type_index) {
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIList: {
        Array<Any> items = internal::SequenceView(value);
        for (size_t i = 0; i < items.size(); ++i) {
          Any item = items[static_cast<int64_t>(i)];
          if (item.type_index() == TypeIndex::kTVMFFINone) continue;
          Descend(Step{Step::kItem, nullptr, static_cast<int64_t>(i), Any()}, item);
        }
        return;
      }
      case TypeIndex::kTVMFFIMap:
      case TypeIndex::kTVMFFIDict: {
        Map<Any, Any> entries = internal::MappingView(value);
        for (const auto& kv : entries) {
          if (kv.first.type_index() == TypeIndex::kTVMFFINone ||
              kv.second.type_index() == TypeIndex::kTVMFFINone) {
            continue;
          }
          Descend(Step{Step::kKey, nullptr, 0, kv.first}, kv.second);
        }
        return;
      }
      default:
        VisitObject(value.cast<ObjectRef>());
    }
  }

  void VisitObject(const ObjectRef& node) {
    if (!node.defined()) return;
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(node->type_index());
    if (info == nullptr || info->metadata == nullptr) return;
    bool step_matched = matched_ < pattern_.size() && node.same_as(Expected());
    if (step_matched && ++matched_ == pattern_.size()) {
      found_.push_back(PathHere());
      --matched_;
      return;
    }
    size_t found_before = found_.size();
    internal::ForEachField(info, [&](const TVMFFIFieldInfo& field) {
      Any child;
      if (field.getter == nullptr) return;
      void* addr = reinterpret_cast<char*>(const_cast<Object*>(node.get())) + field.offset;
      if (field.getter(addr, reinterpret_cast<TVMFFIAny*>(&child)) != 0) {
        details::MoveFromSafeCallRaised();  // clears the raised error; the field is skipped
        return;
      }
      Descend(Step{Step::kField, &field, 0, Any()}, child);
    });
    if (allow_prefix_ && matched_ > 0 && matched_ < pattern_.size() && !steps_.empty() &&
        found_.size() == found_before) {
      found_.push_back(PathHere());
    }
    if (step_matched) --matched_;
  }

  void Descend(Step step, const Any& child) {
    steps_.push_back(std::move(step));
    VisitValue(child);
    steps_.pop_back();
    if (built_.size() > steps_.size())
      built_.erase(built_.begin() + static_cast<std::ptrdiff_t>(steps_.size()), built_.end());
  }

  // The path of the current position; built_[i] is the path through steps_[0..i].
  AccessPath PathHere() {
    if (steps_.empty()) return AccessPath::Root();
    for (size_t i = built_.size(); i < steps_.size(); ++i) {
      AccessPath parent = i == 0 ? AccessPath::Root() : built_[i - 1];
      built_.push_back(parent->Extend(ToAccessStep(steps_[i])));
    }
    return built_.back();
  }

  static AccessStep ToAccessStep(const Step& step) {
    switch (step.kind) {
      case Step::kField:
        return AccessStep::Attr(String(step.field->name.data, step.field->name.size));
      case Step::kItem:
        return AccessStep::ArrayItem(step.index);
      default:
        return AccessStep::MapItem(step.key);
    }
  }

  bool allow_prefix_;
  std::vector<ObjectRef> pattern_;  // innermost first
  size_t matched_ = 0;              // how many, from the outermost, the current path passed
  std::vector<Step> steps_;
  std::vector<AccessPath> built_;
  std::vector<AccessPath> found_;
};

}  // namespace

Array<reflection::AccessPath> VisitErrorContext::FindAccessPaths(
    const ObjectRef& root, const VisitErrorContext& visit_context, bool allow_prefix_match) {
  return PathFinder(visit_context, allow_prefix_match).Find(root);
}

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::ObjectDef<VisitErrorContextObj>()
      .def_ro("reverse_visit_pattern", &VisitErrorContextObj::reverse_visit_pattern)
      .def_ro("prev_error_context", &VisitErrorContextObj::prev_error_context);
  refl::GlobalDef().def("ffi.VisitErrorContext.FindAccessPaths",
                        &VisitErrorContext::FindAccessPaths);
}

}  // namespace ffi
}  // namespace tvm
