/*
 * tvmffi-rpc runtime: String and Bytes. Each is one 16-byte Any cell: up to 7 bytes live inline
 * (kTVMFFISmallStr / kTVMFFISmallBytes, NUL-terminated), longer contents in an immutable object
 * (kTVMFFIStr / kTVMFFIBytes = header + TVMFFIByteArray + the bytes + NUL).
 */
#ifndef TVM_FFI_STRING_H_
#define TVM_FFI_STRING_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/base_details.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/type_traits.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {
namespace details {

/*! \brief Heap string: header + byte array, contents right after the object. */
class StringObj : public Object, public TVMFFIByteArray {
 public:
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIStr;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIStr, StringObj, Object);
};

/*! \brief Heap bytes: same layout as StringObj. */
class BytesObj : public Object, public TVMFFIByteArray {
 public:
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIBytes;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIBytes, BytesObj, Object);
};

constexpr size_t kMaxSmallBytesLen = 7;

// data[0, size) (size <= 7) as the value word of a small string or bytes, zero-padded: a few
// loads instead of a call to memcpy.
inline uint64_t SmallBytesWord(const char* data, size_t size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data);
  if (size >= 4) {
    // two 4-byte loads that overlap when size < 8: the same bytes land on the same places
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + size - 4, 4);
    return uint64_t{lo} | (uint64_t{hi} << ((size - 4) * 8));
  }
  if (size == 0) return 0;
  // 1 to 3 bytes: the first, the middle and the last (some of them the same byte)
  return uint64_t{p[0]} | (uint64_t{p[size / 2]} << (size / 2 * 8)) |
         (uint64_t{p[size - 1]} << ((size - 1) * 8));
#else
  uint64_t word = 0;
  if (size != 0) std::memcpy(&word, data, size);
  return word;
#endif
}

// Writes data[0, size) into cell as a small or heap value of the given kind.
template <typename ObjType>
inline void InitBytesCell(TVMFFIAny* cell, const char* data, size_t size, int32_t small_index,
                          bool heap = false) {
  if (size <= kMaxSmallBytesLen && !heap) {
    cell->type_index = small_index;
    cell->small_str_len = static_cast<uint32_t>(size);
    cell->v_uint64 = SmallBytesWord(data, size);
    return;
  }
  ObjectPtr<ObjType> ptr = make_inplace_array_object<ObjType, char>(size + 1);
  char* dest = reinterpret_cast<char*>(ptr.get()) + sizeof(ObjType);
  ptr->data = dest;
  ptr->size = size;
  std::memcpy(dest, data, size);
  dest[size] = '\0';
  cell->type_index = ObjType::_type_index;
  cell->zero_padding = 0;
  cell->v_obj =
      reinterpret_cast<TVMFFIObject*>(ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(std::move(ptr)));
}

template <typename T, int32_t kSmall, int32_t kHeap>
struct BytesTraitsBase;

// Shared implementation of String and Bytes; only the type indices differ.
template <typename Derived, typename ObjType, int32_t kSmallIndex>
class BytesBase {
 public:
  BytesBase() { InitBytesCell<ObjType>(CellPtr(), nullptr, 0, kSmallIndex); }
  BytesBase(const char* data, size_t size) {
    InitBytesCell<ObjType>(CellPtr(), data, size, kSmallIndex);
  }
  // Heap storage at any size (what upstream makes from a std::string it takes over).
  struct OnHeap {};
  BytesBase(const char* data, size_t size, OnHeap) {
    InitBytesCell<ObjType>(CellPtr(), data, size, kSmallIndex, true);
  }

  const char* data() const { return View().data; }
  const char* c_str() const { return data(); }
  size_t size() const { return View().size; }
  size_t length() const { return size(); }
  bool empty() const { return size() == 0; }
  char at(size_t i) const { return data()[i]; }
  char operator[](size_t i) const { return data()[i]; }
  const char* begin() const { return data(); }
  const char* end() const { return data() + size(); }
  operator std::string() const { return std::string(data(), size()); }            // NOLINT(*)
  operator std::string_view() const { return std::string_view(data(), size()); }  // NOLINT(*)
  std::string_view view() const { return std::string_view(data(), size()); }
  /*! \brief -1, 0 or 1 as this sorts before, with or after other (bytewise). */
  int compare(std::string_view other) const {
    int c = view().compare(other);
    return (c > 0) - (c < 0);
  }
  size_t hash() const { return static_cast<size_t>(StableHashBytes(data(), size())); }

 protected:
  TVMFFIAny* CellPtr() { return const_cast<TVMFFIAny*>(AnyUnsafe::TVMFFIAnyPtrFromAny(data_)); }
  const TVMFFIAny* CellPtr() const { return AnyUnsafe::TVMFFIAnyPtrFromAny(data_); }
  TVMFFIByteArray View() const { return BytesCellView(CellPtr()); }
  Any data_;
  template <typename, int32_t, int32_t>
  friend struct BytesTraitsBase;
};
}  // namespace details

/*! \brief Immutable UTF-8 (or any byte) string with small-string optimisation. */
class String : public details::BytesBase<String, details::StringObj, TypeIndex::kTVMFFISmallStr> {
  using Base = details::BytesBase<String, details::StringObj, TypeIndex::kTVMFFISmallStr>;

 public:
  String() = default;
  String(const char* data, size_t size) : Base(data, size) {}
  String(const char* str) : Base(str, std::char_traits<char>::length(str)) {}  // NOLINT(*)
  String(const std::string& str) : Base(str.data(), str.size()) {}             // NOLINT(*)
  /*! \brief Takes the string (the source is left empty, as a moved-from string should be);
   *         stored on the heap at any length, as upstream's. */
  String(std::string&& str)  // NOLINT(*)
      : Base(str.data(), str.size(), typename Base::OnHeap{}) {
    std::string().swap(str);
  }
  String(std::string_view str) : Base(str.data(), str.size()) {}  // NOLINT(*)
  explicit String(TVMFFIByteArray arr) : Base(arr.data, arr.size) {}

  /*! \brief What find() returns when there is no match. */
  static constexpr size_t npos = static_cast<size_t>(-1);
  /*! \brief [pos, pos + count) (clamped); std::out_of_range when pos > size(). */
  String substr(size_t pos = 0, size_t count = npos) const {
    std::string_view v = view().substr(pos, count);
    return String(v.data(), v.size());
  }
  size_t find(std::string_view needle, size_t pos = 0) const { return view().find(needle, pos); }
  size_t find(const char* needle, size_t pos, size_t count) const {
    return view().find(std::string_view(needle, count), pos);
  }
  /*! \brief The pieces between delim characters (views into this string; as many as delims
   *         plus one). */
  std::vector<std::string_view> Split(char delim) const {
    std::vector<std::string_view> parts;
    std::string_view rest = view();
    for (size_t at = rest.find(delim); at != std::string_view::npos; at = rest.find(delim)) {
      parts.push_back(rest.substr(0, at));
      rest.remove_prefix(at + 1);
    }
    parts.push_back(rest);
    return parts;
  }
  bool starts_with(std::string_view prefix) const {
    return size() >= prefix.size() && view().compare(0, prefix.size(), prefix) == 0;
  }
  bool ends_with(std::string_view suffix) const {
    return size() >= suffix.size() &&
           view().compare(size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  // Hidden friends: found only when a String is involved, so they never make comparisons of
  // other string types ambiguous.
  // All six comparisons, by content, against String, std::string, std::string_view and C
  // strings on either side.
#define TVM_FFI_STRING_COMPARE_(Op)                                                          \
  friend bool operator Op(const String& a, const String& b) { return a.view() Op b.view(); } \
  friend bool operator Op(const String& a, std::string_view b) { return a.view() Op b; }     \
  friend bool operator Op(std::string_view a, const String& b) { return a Op b.view(); }     \
  friend bool operator Op(const String& a, const char* b) {                                  \
    return a.view() Op std::string_view(b);                                                  \
  }                                                                                          \
  friend bool operator Op(const char* a, const String& b) {                                  \
    return std::string_view(a) Op b.view();                                                  \
  }                                                                                          \
  friend bool operator Op(const String& a, const std::string& b) {                           \
    return a.view() Op std::string_view(b);                                                  \
  }                                                                                          \
  friend bool operator Op(const std::string& a, const String& b) {                           \
    return std::string_view(a) Op b.view();                                                  \
  }
  TVM_FFI_STRING_COMPARE_(==)
  TVM_FFI_STRING_COMPARE_(!=)
  TVM_FFI_STRING_COMPARE_(<)
  TVM_FFI_STRING_COMPARE_(>)
  TVM_FFI_STRING_COMPARE_(<=)
  TVM_FFI_STRING_COMPARE_(>=)
#undef TVM_FFI_STRING_COMPARE_
  friend String operator+(const String& a, const String& b) { return Concat(a.view(), b.view()); }
  friend String operator+(const String& a, const char* b) { return Concat(a.view(), b); }
  friend String operator+(const char* a, const String& b) { return Concat(a, b.view()); }
  friend String operator+(const String& a, const std::string& b) { return Concat(a.view(), b); }
  friend String operator+(const std::string& a, const String& b) { return Concat(a, b.view()); }

 private:
  static String Concat(std::string_view a, std::string_view b) {
    std::string out;
    out.reserve(a.size() + b.size());
    out.append(a);
    out.append(b);
    return String(out);
  }
};

/*! \brief Immutable byte string with small-bytes optimisation. */
class Bytes : public details::BytesBase<Bytes, details::BytesObj, TypeIndex::kTVMFFISmallBytes> {
  using Base = details::BytesBase<Bytes, details::BytesObj, TypeIndex::kTVMFFISmallBytes>;

 public:
  /*!
   * \brief Compares two byte ranges: negative, zero or positive as lhs sorts before, with or
   *        after rhs; a prefix sorts first. Bytes compare as unsigned values (upstream's compare
   *        as `char`, signed on x86, so there 0xff sorts before 0x00; here after, as memcmp).
   */
  static int memncmp(const char* lhs, const char* rhs, size_t lhs_count, size_t rhs_count) {
    size_t n = lhs_count < rhs_count ? lhs_count : rhs_count;
    int c = (n == 0 || lhs == rhs) ? 0 : std::memcmp(lhs, rhs, n);
    if (c != 0) return c < 0 ? -1 : 1;
    return lhs_count < rhs_count ? -1 : (lhs_count > rhs_count ? 1 : 0);
  }
  Bytes() = default;
  Bytes(const char* data, size_t size) : Base(data, size) {}
  Bytes(const std::string& str) : Base(str.data(), str.size()) {}  // NOLINT(*)
  /*! \brief Takes the bytes (the source is left empty); on the heap at any length. */
  Bytes(std::string&& str)  // NOLINT(*)
      : Base(str.data(), str.size(), typename Base::OnHeap{}) {
    std::string().swap(str);
  }
  Bytes(TVMFFIByteArray arr) : Base(arr.data, arr.size) {}  // NOLINT(*)
  friend bool operator==(const Bytes& a, const Bytes& b) { return a.view() == b.view(); }
  friend bool operator!=(const Bytes& a, const Bytes& b) { return !(a == b); }
  // With text, byte for byte.
  friend bool operator==(const Bytes& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(std::string_view a, const Bytes& b) { return a == b.view(); }
  friend bool operator==(const Bytes& a, const char* b) { return a.view() == std::string_view(b); }
  friend bool operator==(const char* a, const Bytes& b) { return std::string_view(a) == b.view(); }
  friend bool operator!=(const Bytes& a, std::string_view b) { return !(a == b); }
  friend bool operator!=(std::string_view a, const Bytes& b) { return !(a == b); }
  friend bool operator!=(const Bytes& a, const char* b) { return !(a == b); }
  friend bool operator!=(const char* a, const Bytes& b) { return !(a == b); }
  friend bool operator==(const Bytes& a, const std::string& b) { return a.view() == b; }
  friend bool operator==(const std::string& a, const Bytes& b) { return a == b.view(); }
  friend bool operator!=(const Bytes& a, const std::string& b) { return !(a == b); }
  friend bool operator!=(const std::string& a, const Bytes& b) { return !(a == b); }
};

/*! \brief value as a quoted JSON string: \" \\ \/ \b \f \n \r \t escaped, other control
 *         characters and DEL as \u00XX, everything else (UTF-8 included) as is. */
inline String EscapeStringJSON(const String& value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  out.reserve(value.size() + 2);
  for (char ch : value.view()) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '/':
        out += "\\/";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        unsigned char u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += ch;
        }
      }
    }
  }
  out += '"';
  return String(out);
}

/*! \brief Deprecated name of EscapeStringJSON. */
[[deprecated("Use EscapeStringJSON instead")]] inline String EscapeString(const String& value) {
  return EscapeStringJSON(value);
}

/*! \brief value as a double-quoted Python-style literal: \n \t \r \\ \" escaped, other
 *         control characters and DEL as \xNN, valid UTF-8 as \uXXXX or \UXXXXXXXX, and each
 *         byte of malformed UTF-8 as \xNN. */
inline String EscapedStringPy(const String& value) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [&](std::string* out, uint32_t v, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) *out += kHex[(v >> shift) & 0xf];
  };
  std::string_view in = value.view();
  std::string out = "\"";
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '"':
          out += "\\\"";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            hex(&out, c, 2);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A multi-byte UTF-8 sequence: its length from the leader, then continuation bytes.
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    uint32_t cp = len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    bool valid = len != 0 && i + len <= in.size();
    for (size_t k = 1; valid && k < len; ++k) {
      unsigned char cont = static_cast<unsigned char>(in[i + k]);
      if ((cont & 0xc0) != 0x80) valid = false;
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (!valid) {
      out += "\\x";
      hex(&out, c, 2);
      ++i;
      continue;
    }
    if (cp <= 0xffff) {
      out += "\\u";
      hex(&out, cp, 4);
    } else {
      out += "\\U";
      hex(&out, cp, 8);
    }
    i += len;
  }
  out += '"';
  return String(out);
}

inline std::ostream& operator<<(std::ostream& os, const String& s) { return os << s.view(); }

namespace details {
// Traits shared by String and Bytes: small or heap cell of the right kind.
template <typename T, int32_t kSmall, int32_t kHeap>
struct BytesTraitsBase {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static void CopyToAnyView(const T& src, TVMFFIAny* result) {
    *result = *AnyUnsafe::TVMFFIAnyPtrFromAny(src.data_);
  }
  static void MoveToAny(T src, TVMFFIAny* result) {
    *result = AnyUnsafe::MoveAnyToTVMFFIAny(std::move(src.data_));
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == kSmall || src->type_index == kHeap;
  }
  // Both write src's cell over an empty small value (nothing to release there) rather than
  // assigning an Any: one copy of 16 bytes and, for a heap value, one reference.
  static T CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    T out;
    *out.CellPtr() = *src;
    if (src->type_index == kHeap) ObjectUnsafe::IncRefObjectHandle(src->v_obj);
    return out;
  }
  static T MoveFromAnyAfterCheck(TVMFFIAny* src) {
    T out;
    *out.CellPtr() = *src;
    SetNone(src);
    return out;
  }
};
}  // namespace details

template <>
struct TypeTraits<String>
    : details::BytesTraitsBase<String, TypeIndex::kTVMFFISmallStr, TypeIndex::kTVMFFIStr> {
  static std::optional<String> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index == TypeIndex::kTVMFFIRawStr) return String(src->v_c_str);
    return std::nullopt;
  }
  static std::string TypeStr() { return "str"; }
  static std::string TypeSchema() { return details::SchemaOf(StaticTypeKey::kTVMFFIStr); }
};

template <>
struct TypeTraits<Bytes>
    : details::BytesTraitsBase<Bytes, TypeIndex::kTVMFFISmallBytes, TypeIndex::kTVMFFIBytes> {
  static std::optional<Bytes> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index == TypeIndex::kTVMFFIByteArrayPtr) {
      return Bytes(*static_cast<const TVMFFIByteArray*>(src->v_ptr));
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return "bytes"; }
  static std::string TypeSchema() { return details::SchemaOf(StaticTypeKey::kTVMFFIBytes); }
};

/*! \brief const char*: passed as a borrowed raw string, stored as a String. */
template <>
struct TypeTraits<const char*> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static void CopyToAnyView(const char* const& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIRawStr;
    result->zero_padding = 0;
    result->v_c_str = src;
  }
  static void MoveToAny(const char* src, TVMFFIAny* result) {
    TypeTraits<String>::MoveToAny(String(src), result);
  }
  static std::string TypeStr() { return "str"; }
};
template <>
struct TypeTraits<char*> : TypeTraits<const char*> {};
template <size_t N>
struct TypeTraits<char[N]> : TypeTraits<const char*> {};

/*! \brief std::string: passed as a borrowed raw string, stored and read back as a String. */
template <>
struct TypeTraits<std::string> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static void CopyToAnyView(const std::string& src, TVMFFIAny* result) {
    TypeTraits<const char*>::CopyToAnyView(src.c_str(), result);
  }
  static void MoveToAny(std::string src, TVMFFIAny* result) {
    TypeTraits<String>::MoveToAny(String(src), result);
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return TypeTraits<String>::CheckAnyStrict(src);
  }
  static std::string CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    TVMFFIByteArray v = details::BytesCellView(src);
    return std::string(v.data, v.size);
  }
  static std::string MoveFromAnyAfterCheck(TVMFFIAny* src) {
    std::string out = CopyFromAnyViewAfterCheck(src);
    Any drop = details::AnyUnsafe::MoveTVMFFIAnyToAny(src);
    return out;
  }
  /*! \brief Also from bytes (small or heap) and a borrowed byte array: a std::string holds
   *         any bytes. */
  static std::optional<std::string> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index == TypeIndex::kTVMFFIRawStr) return std::string(src->v_c_str);
    if (src->type_index == TypeIndex::kTVMFFIByteArrayPtr) {
      const TVMFFIByteArray* arr = static_cast<const TVMFFIByteArray*>(src->v_ptr);
      return std::string(arr->data, arr->size);
    }
    if (src->type_index == TypeIndex::kTVMFFISmallBytes ||
        src->type_index == TypeIndex::kTVMFFIBytes) {
      TVMFFIByteArray v = details::BytesCellView(src);
      return std::string(v.data, v.size);
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return "str"; }
  static std::string TypeSchema() { return details::SchemaOf(StaticTypeKey::kTVMFFIStr); }
};

/*! \brief TVMFFIByteArray*: passed as borrowed bytes. */
template <>
struct TypeTraits<TVMFFIByteArray*> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = false;
  static void CopyToAnyView(TVMFFIByteArray* const& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIByteArrayPtr;
    result->zero_padding = 0;
    result->v_ptr = src;
  }
  /*! \brief An Any made from the pointer owns a copy of the bytes (Bytes). */
  static void MoveToAny(TVMFFIByteArray* src, TVMFFIAny* result) {
    TypeTraits<Bytes>::MoveToAny(Bytes(*src), result);
  }
  static std::optional<TVMFFIByteArray*> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFIByteArrayPtr) {
      return static_cast<TVMFFIByteArray*>(src->v_ptr);
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return "bytes"; }
};

}  // namespace ffi
}  // namespace tvm

namespace std {
template <>
struct hash<::tvm::ffi::String> {
  size_t operator()(const ::tvm::ffi::String& s) const { return s.hash(); }
};
template <>
struct hash<::tvm::ffi::Bytes> {
  size_t operator()(const ::tvm::ffi::Bytes& s) const { return s.hash(); }
};
}  // namespace std
#endif  // TVM_FFI_STRING_H_
