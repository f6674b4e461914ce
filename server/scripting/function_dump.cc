#include "server/scripting/function_dump.h"

namespace stash::server::scripting {
namespace {

constexpr unsigned char kOpcodeFunction2 = 245;
constexpr uint16_t kRdbVersion = 10;

void AppendLength(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool Byte(unsigned char* b) {
    if (pos_ >= data_.size()) return false;
    *b = static_cast<unsigned char>(data_[pos_++]);
    return true;
  }
  // Returns false on error; *encoded set for the special (0b11) encodings, value in *len.
  bool Length(uint64_t* len, bool* encoded) {
    unsigned char b;
    *encoded = false;
    if (!Byte(&b)) return false;
    switch (b >> 6) {
      case 0:
        *len = b & 0x3f;
        return true;
      case 1: {
        unsigned char b2;
        if (!Byte(&b2)) return false;
        *len = (static_cast<uint64_t>(b & 0x3f) << 8) | b2;
        return true;
      }
      case 2: {
        int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
        if (n == 0) return false;
        *len = 0;
        for (int i = 0; i < n; ++i) {
          unsigned char x;
          if (!Byte(&x)) return false;
          *len = (*len << 8) | x;
        }
        return true;
      }
      default:
        *encoded = true;
        *len = b & 0x3f;
        return true;
    }
  }
  bool Bytes(uint64_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool String(std::string* out) {
    uint64_t len;
    bool encoded;
    if (!Length(&len, &encoded)) return false;
    std::string_view raw;
    if (!encoded) {
      if (!Bytes(len, &raw)) return false;
      out->assign(raw);
      return true;
    }
    if (len != 3) return false;  // only LZF (RDB_ENC_LZF) for code strings
    uint64_t clen, ulen;
    bool e1, e2;
    if (!Length(&clen, &e1) || !Length(&ulen, &e2) || e1 || e2) return false;
    if (!Bytes(clen, &raw)) return false;
    return LzfDecompress(raw, ulen, out);
  }

 private:
  static bool LzfDecompress(std::string_view in, uint64_t ulen, std::string* out) {
    out->clear();
    out->reserve(ulen);
    size_t ip = 0;
    while (ip < in.size()) {
      unsigned int ctrl = static_cast<unsigned char>(in[ip++]);
      if (ctrl < 32) {
        ++ctrl;
        if (ip + ctrl > in.size()) return false;
        out->append(in.substr(ip, ctrl));
        ip += ctrl;
      } else {
        size_t len = ctrl >> 5;
        size_t back = (ctrl & 0x1f) << 8;
        if (len == 7) {
          if (ip >= in.size()) return false;
          len += static_cast<unsigned char>(in[ip++]);
        }
        if (ip >= in.size()) return false;
        back += static_cast<unsigned char>(in[ip++]);
        len += 2;
        if (back + 1 > out->size()) return false;
        size_t ref = out->size() - back - 1;
        for (size_t i = 0; i < len; ++i) out->push_back((*out)[ref + i]);
      }
    }
    return out->size() == ulen;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  constexpr uint64_t kPoly = 0x95AC9329AC4BC9B5ULL;  // Jones, reflected
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ kPoly : crc >> 1;
  }
  return crc;
}

std::string DumpLibraries(const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& code : codes) {
    out.push_back(static_cast<char>(kOpcodeFunction2));
    AppendLength(&out, code.size());
    out += code;
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

bool ParseDump(std::string_view payload, std::vector<std::string>* codes) {
  if (payload.size() < 10) return false;
  size_t footer = payload.size() - 10;
  uint16_t version = static_cast<uint16_t>(static_cast<unsigned char>(payload[footer]) |
                                           (static_cast<unsigned char>(payload[footer + 1]) << 8));
  if (version > kRdbVersion) return false;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<unsigned char>(payload[footer + 2 + i]);
  if (Crc64(0, payload.substr(0, footer + 2)) != crc) return false;
  Reader reader(payload.substr(0, footer));
  while (!reader.done()) {
    unsigned char opcode;
    if (!reader.Byte(&opcode) || opcode != kOpcodeFunction2) return false;
    std::string code;
    if (!reader.String(&code)) return false;
    codes->push_back(std::move(code));
  }
  return true;
}

}  // namespace stash::server::scripting
