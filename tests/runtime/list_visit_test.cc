// List<T> (mutable, shared by reference) and the visit error context: errors raised while
// visiting a tree record the nodes they passed, and FindAccessPaths finds them from the root.
#include <gtest/gtest.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/extra/visit_error_context.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>
#include <vector>

namespace {
using namespace tvm::ffi;
namespace refl = tvm::ffi::reflection;

TEST(List, IsSharedAndMutatedInPlace) {
  List<int64_t> a{1, 2, 3};
  List<int64_t> b = a;  // the same list
  b.push_back(4);
  EXPECT_EQ(a.size(), 4u);
  a.insert(a.begin() + 1, 10);
  a.erase(a.begin());
  EXPECT_EQ(std::vector<int64_t>(b.begin(), b.end()), (std::vector<int64_t>{10, 2, 3, 4}));
  b.Set(0, 7);
  EXPECT_EQ(a[0], 7);
  EXPECT_THROW(a[9], Error);
  a.resize(6);
  EXPECT_EQ(b.size(), 6u);
  EXPECT_EQ(Any(b).cast<List<Any>>()[5].type_index(), TypeIndex::kTVMFFINone);
  a.pop_back();
  a.pop_back();
  for (int i = 0; i < 1000; ++i) a.push_back(i);  // grows by doubling
  EXPECT_EQ(b.size(), 1004u);
  EXPECT_GE(b.capacity(), 1004u);
  b.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_THROW(a.pop_back(), Error);
}

TEST(List, ConvertsToAndFromArrayByCopy) {
  List<int64_t> list{1, 2};
  Array<int64_t> array = Any(list).cast<Array<int64_t>>();
  list.push_back(3);
  EXPECT_EQ(array.size(), 2u);                             // a copy, not a view
  List<double> doubles = Any(array).cast<List<double>>();  // element-wise conversion
  EXPECT_EQ(doubles[1], 2.0);
  EXPECT_FALSE(Any(List<String>{String("x")}).try_cast<List<int64_t>>().has_value());
  EXPECT_EQ(Any(list).type_index(), TypeIndex::kTVMFFIList);
  EXPECT_EQ(TypeTraits<List<int64_t>>::TypeStr(), "List<int>");
}

class NodeObj : public Object {
 public:
  String name;
  Array<ObjectRef> kids;
  Map<String, ObjectRef> named;
  explicit NodeObj(String name) : name(std::move(name)) {}
  explicit NodeObj(UnsafeInit) {}
  static constexpr bool _type_mutable = true;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("list_visit_test.Node", NodeObj, Object);
};
class Node : public ObjectRef {
 public:
  explicit Node(String name) : ObjectRef(make_object<NodeObj>(std::move(name))) {}
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Node, ObjectRef, NodeObj);
};

void RegisterNode() {
  static bool done = [] {
    refl::ObjectDef<NodeObj>()
        .def_ro("name", &NodeObj::name)
        .def_ro("kids", &NodeObj::kids)
        .def_ro("named", &NodeObj::named);
    return true;
  }();
  (void)done;
}

// Visits the tree and fails on the node called "bad", recording each node on the way out.
void Check(const ObjectRef& node) {
  TVM_FFI_VISIT_BEGIN();
  const NodeObj* n = node.as<NodeObj>();
  if (n->name == "bad") TVM_FFI_VISIT_THROW(ValueError, node) << "bad node";
  for (const ObjectRef& kid : n->kids) Check(kid);
  for (const auto& kv : n->named) Check(kv.second);
  TVM_FFI_VISIT_END(node);
}

TEST(VisitErrorContext, FindsThePathsToTheNodeThatFailed) {
  RegisterNode();
  Node bad("bad");
  Node middle("middle");
  middle->kids.push_back(Node("fine"));
  middle->named.Set("x", bad);
  Node root("root");
  root->kids = Array<ObjectRef>{Node("other"), middle};
  try {
    Check(root);
    FAIL() << "the bad node was not found";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    Optional<VisitErrorContext> context = VisitErrorContext::TryGetFromError(e);
    ASSERT_TRUE(context.has_value());
    // bad (thrown, then recorded again by its own visit: collapsed), middle, root.
    EXPECT_EQ(context.value()->reverse_visit_pattern.size(), 4u);
    Array<refl::AccessPath> paths = VisitErrorContext::FindAccessPaths(root, context.value());
    ASSERT_EQ(paths.size(), 1u);
    Array<refl::AccessStep> steps = paths[0]->ToSteps();
    ASSERT_EQ(steps.size(), 4u);
    EXPECT_EQ(steps[0]->key.cast<String>(), "kids");
    EXPECT_EQ(steps[1]->key.cast<int64_t>(), 1);
    EXPECT_EQ(steps[2]->key.cast<String>(), "named");
    EXPECT_EQ(steps[3]->key.cast<String>(), "x");
    // From another root the record matches nothing; with prefix matching, what it can.
    EXPECT_EQ(VisitErrorContext::FindAccessPaths(middle, context.value()).size(), 0u);
    Node lookalike("root");
    lookalike->kids = Array<ObjectRef>{middle};
    Array<refl::AccessPath> none = VisitErrorContext::FindAccessPaths(lookalike, context.value());
    EXPECT_EQ(none.size(), 0u);
  }
}

TEST(VisitErrorContext, KeepsAContextTheErrorAlreadyHad) {
  RegisterNode();
  Node node("n");
  Error error("RuntimeError", "boom", "", std::nullopt, Node("earlier"));
  details::UpdateVisitErrorContext(error, node);
  Optional<VisitErrorContext> context = VisitErrorContext::TryGetFromError(error);
  ASSERT_TRUE(context.has_value());
  ASSERT_TRUE(context.value()->prev_error_context.has_value());
  EXPECT_EQ(context.value()->prev_error_context.value().as<NodeObj>()->name, "earlier");
  EXPECT_FALSE(VisitErrorContext::TryGetFromError(Error("RuntimeError", "x", "")).has_value());
}

}  // namespace
