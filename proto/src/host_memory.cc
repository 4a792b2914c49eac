#include "host_memory.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace tvmffi::rpc {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kCachedMin = 1 << 20;        // smaller blocks: malloc reuses them anyway
constexpr size_t kCacheBytes = 256ull << 20;  // most memory kept idle
constexpr size_t kCacheBlocks = 8;

size_t Rounded(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// Recently freed large blocks, newest last; a block is reused only for the same size.
class BlockCache {
 public:
  void* Take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = blocks_.size(); i-- > 0;) {
      if (blocks_[i].size == size) {
        void* data = blocks_[i].data;
        cached_ -= size;
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i));
        return data;
      }
    }
    return nullptr;
  }
  // False when the block does not fit: the caller frees it.
  bool Keep(void* data, size_t size) {
    if (size > kCacheBytes) return false;
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!blocks_.empty() && (cached_ + size > kCacheBytes || blocks_.size() >= kCacheBlocks)) {
        evicted.push_back(blocks_.front().data);
        cached_ -= blocks_.front().size;
        blocks_.erase(blocks_.begin());
      }
      blocks_.push_back(Block{data, size});
      cached_ += size;
    }
    for (void* p : evicted) std::free(p);
    return true;
  }

 private:
  struct Block {
    void* data;
    size_t size;
  };
  std::mutex mutex_;
  std::vector<Block> blocks_;
  size_t cached_ = 0;
};

BlockCache& Cache() {
  static BlockCache* cache = new BlockCache();  // tensors may be freed during static exit
  return *cache;
}

}  // namespace

void* AllocTensorMemory(size_t bytes) {
  if (bytes == 0) return nullptr;
  size_t size = Rounded(bytes);
  if (size >= kCachedMin) {
    if (void* data = Cache().Take(size)) return data;
  }
  void* data = std::aligned_alloc(kAlign, size);
  if (data == nullptr) throw std::bad_alloc();
  return data;
}

void FreeTensorMemory(void* data, size_t bytes) {
  if (data == nullptr) return;
  size_t size = Rounded(bytes);
  if (size >= kCachedMin && Cache().Keep(data, size)) return;
  std::free(data);
}

}  // namespace tvmffi::rpc
