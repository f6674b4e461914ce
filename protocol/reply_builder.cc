#include "protocol/reply_builder.h"

#include <charconv>

#include "protocol/numbers.h"

namespace stash::protocol {

void ReplyBuilder::Header(char type, size_t n) {
  char buf[32];
  buf[0] = type;
  auto r = std::to_chars(buf + 1, buf + 30, n);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->append(buf, r.ptr + 2 - buf);
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Error(std::string_view msg) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(msg);
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyBuilder::Integer(int64_t v) {
  char buf[32];
  buf[0] = ':';
  size_t n = FormatInt64(buf + 1, v);
  buf[n + 1] = '\r';
  buf[n + 2] = '\n';
  out_->append(buf, n + 3);
}

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Null() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyBuilder::NullArray() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyBuilder::MapHeader(size_t n) {
  if (resp3_) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}

void ReplyBuilder::SetHeader(size_t n) { Header(resp3_ ? '~' : '*', n); }

void ReplyBuilder::PushHeader(size_t n) { Header(resp3_ ? '>' : '*', n); }

void ReplyBuilder::Double(double v) {
  std::string text = FormatDouble(v);
  if (resp3_) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n", 2);
  } else {
    Bulk(text);
  }
}

void ReplyBuilder::Bool(bool v) {
  if (resp3_) {
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyBuilder::Verbatim(std::string_view text) {
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + 4);
  out_->append("txt:", 4);
  out_->append(text);
  out_->append("\r\n", 2);
}

void ReplyBuilder::EndDeferredArray(size_t mark, size_t n) {
  char buf[32];
  buf[0] = '*';
  auto r = std::to_chars(buf + 1, buf + 30, n);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->insert(mark, buf, r.ptr + 2 - buf);
}

}  // namespace stash::protocol
