// The cereal archives for everything casesync puts on the wire or signs.
//
// WireOutputArchive writes little-endian fixed-width integers and 64-bit length prefixes into a
// std::string. BoundedInputArchive reads them back from bytes a peer sent us and is hostile-input
// safe: a length prefix larger than the bytes that remain is refused before anything is
// allocated, so a 10-byte message claiming a 2^40-byte string costs nothing. Errors surface as
// cereal::Exception and are turned into a Status at the decoder that called cereal.
#pragma once

#include <bit>
#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace casesync::wire {

static_assert(std::endian::native == std::endian::little,
              "the wire format is little-endian and is copied raw; add byte swapping for BE hosts");

class WireOutputArchive
    : public cereal::OutputArchive<WireOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  // "*out" must remain live while this archive is in use.
  explicit WireOutputArchive(std::string* out)
      : cereal::OutputArchive<WireOutputArchive, cereal::AllowEmptyClassElision>(this), out_(out) {}
  void saveBinary(const void* data, std::size_t size) {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  // "bytes" must remain live while this archive is in use.
  explicit BoundedInputArchive(std::string_view bytes)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        bytes_(bytes) {}
  void loadBinary(void* data, std::size_t size) {
    if (size > remaining()) {
      throw cereal::Exception("truncated: wanted " + std::to_string(size) + " bytes, " +
                              std::to_string(remaining()) + " remain");
    }
    std::memcpy(data, bytes_.data() + pos_, size);
    pos_ += size;
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar,
                                                                          const T& t) {
  ar.saveBinary(std::addressof(t), sizeof(t));
}
template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>
CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, T& t) {
  ar.loadBinary(std::addressof(t), sizeof(t));
}
// A bool is one byte on the wire; any value but 0 or 1 is refused (copying it raw would be
// undefined behaviour — found by the decode_health fuzzer).
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, bool& t) {
  std::uint8_t byte = 0;
  ar.loadBinary(&byte, 1);
  if (byte > 1) throw cereal::Exception("bool field holds " + std::to_string(byte));
  t = byte == 1;
}

template <class T>
inline void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const cereal::NameValuePair<T>& t) {
  ar(t.value);
}
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
inline void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const cereal::SizeTag<T>& t) {
  const std::uint64_t size = static_cast<std::uint64_t>(t.size);
  ar.saveBinary(&size, sizeof(size));
}
// Every element of every container takes at least one byte on the wire, so a count larger than
// the bytes that remain is a lie; refusing it here bounds every allocation by the input size.
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& t) {
  std::uint64_t size = 0;
  ar.loadBinary(&size, sizeof(size));
  if (size > ar.remaining()) {
    throw cereal::Exception("length " + std::to_string(size) + " exceeds the " +
                            std::to_string(ar.remaining()) + " bytes that remain");
  }
  t.size = static_cast<std::remove_reference_t<T>>(size);
}

template <class T>
inline void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const cereal::BinaryData<T>& bd) {
  ar.saveBinary(bd.data, static_cast<std::size_t>(bd.size));
}
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::size_t>(bd.size));
}

}  // namespace casesync::wire

CEREAL_REGISTER_ARCHIVE(casesync::wire::WireOutputArchive)
CEREAL_REGISTER_ARCHIVE(casesync::wire::BoundedInputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(casesync::wire::BoundedInputArchive, casesync::wire::WireOutputArchive)
