#include "sync/frame_compression.h"

#include <zstd.h>

#include <cassert>
#include <memory>

namespace casesync {

namespace {

// zstd's one-shot decoder writes straight into the output buffer, which is exactly the declared
// size; the window limit is a second guard in case that ever changes.
constexpr int kWindowLogMax = 25;  // 32 MiB, above kDecompressedBodyBytesMax
static_assert((std::size_t{1} << kWindowLogMax) >= kDecompressedBodyBytesMax);

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context per thread, reused: creating one costs more than compressing a small batch.
ZSTD_CCtx* compressor() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx = [] {
    std::unique_ptr<ZSTD_CCtx, CCtxFree> c(ZSTD_createCCtx());
    assert(c && "zstd could not allocate a compression context");
    ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, kCompressionLevel);
    ZSTD_CCtx_setParameter(c.get(), ZSTD_c_contentSizeFlag, 1);  // the receiver's bound
    ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1);     // damage is told apart early
    return c;
  }();
  return ctx.get();
}

ZSTD_DCtx* decompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx = [] {
    std::unique_ptr<ZSTD_DCtx, DCtxFree> d(ZSTD_createDCtx());
    assert(d && "zstd could not allocate a decompression context");
    ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, kWindowLogMax);
    return d;
  }();
  return ctx.get();
}

Status refuse(const std::string& why) {
  return Status::error(Code::kCorruption, "compressed frame body: " + why);
}

}  // namespace

std::string compress_frame(std::string frame) {
  assert(frame.size() >= kFrameHeaderBytes);
  const auto type_byte = static_cast<std::uint8_t>(frame[3]);
  assert((type_byte & ~kFrameTypeMask) == 0 && "already flagged");
  const std::string_view body = std::string_view(frame).substr(kFrameHeaderBytes);
  if (body.size() < kCompressBodyBytesMin) return frame;
  std::string compressed(ZSTD_compressBound(body.size()), '\0');
  const std::size_t n =
      ZSTD_compress2(compressor(), compressed.data(), compressed.size(), body.data(), body.size());
  // Incompressible (signatures, hashes, already compressed text): send it raw.
  if (ZSTD_isError(n) || n > body.size() - body.size() / kCompressSavingsDivisor) return frame;
  compressed.resize(n);
  return seal_frame(static_cast<MessageType>(type_byte), compressed, kFrameFlagZstd);
}

Result<std::string> decompress_body(std::string_view body) {
  const unsigned long long declared = ZSTD_getFrameContentSize(body.data(), body.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return refuse("not a zstd frame");
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) return refuse("no declared decompressed size");
  if (declared > kDecompressedBodyBytesMax) {
    return refuse("declares " + std::to_string(declared) + " bytes decompressed (limit " +
                  std::to_string(kDecompressedBodyBytesMax) + ")");
  }
  const std::size_t frame_bytes = ZSTD_findFrameCompressedSize(body.data(), body.size());
  if (ZSTD_isError(frame_bytes)) return refuse(std::string(ZSTD_getErrorName(frame_bytes)));
  if (frame_bytes != body.size()) {
    return refuse(std::to_string(body.size() - frame_bytes) + " bytes after the zstd frame");
  }
  std::string out(static_cast<std::size_t>(declared), '\0');
  const std::size_t n =
      ZSTD_decompressDCtx(decompressor(), out.data(), out.size(), body.data(), body.size());
  if (ZSTD_isError(n)) return refuse(std::string(ZSTD_getErrorName(n)));
  if (n != out.size()) {
    return refuse("decompressed to " + std::to_string(n) + " bytes, declared " +
                  std::to_string(declared));
  }
  return out;
}

}  // namespace casesync
