#include "protocol/reply_reader.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "protocol/numbers.h"

namespace stash::protocol {

bool ReplyReader::ReadLine(std::string_view* line) {
  size_t end = data_.find("\r\n", pos_);
  if (end == std::string_view::npos) return false;
  *line = data_.substr(pos_, end - pos_);
  pos_ = end + 2;
  return true;
}

bool ReplyReader::Next(ReplyItem* item) {
  if (pos_ >= data_.size()) return false;
  char type = data_[pos_++];
  std::string_view line;
  if (!ReadLine(&line)) return false;
  *item = ReplyItem();
  auto count = [&](ReplyType t) {
    item->type = t;
    return StringToInt64(line, &item->integer) && item->integer >= 0;
  };
  switch (type) {
    case '+':
      item->type = ReplyType::kSimpleString;
      item->text = line;
      return true;
    case '-':
      item->type = ReplyType::kError;
      item->text = line;
      return true;
    case ':':
      item->type = ReplyType::kInteger;
      return StringToInt64(line, &item->integer);
    case '_':
      item->type = ReplyType::kNull;
      return true;
    case '#':
      item->type = ReplyType::kBool;
      item->integer = line == "t" ? 1 : 0;
      return line == "t" || line == "f";
    case ',': {
      item->type = ReplyType::kDouble;
      item->text = line;
      if (line == "inf") {
        item->number = HUGE_VAL;
      } else if (line == "-inf") {
        item->number = -HUGE_VAL;
      } else if (line == "nan") {
        item->number = std::nan("");
      } else {
        std::string copy(line);
        item->number = strtod(copy.c_str(), nullptr);
      }
      return true;
    }
    case '(':
      item->type = ReplyType::kBigNumber;
      item->text = line;
      return true;
    case '$':
    case '=': {
      if (line == "-1") {
        item->type = ReplyType::kNullBulk;
        return true;
      }
      int64_t len;
      if (!StringToInt64(line, &len) || len < 0) return false;
      if (data_.size() - pos_ < static_cast<size_t>(len) + 2) return false;
      item->type = type == '$' ? ReplyType::kBulk : ReplyType::kVerbatim;
      item->text = data_.substr(pos_, static_cast<size_t>(len));
      pos_ += static_cast<size_t>(len) + 2;
      return true;
    }
    case '*':
      if (line == "-1") {
        item->type = ReplyType::kNullArray;
        return true;
      }
      return count(ReplyType::kArray);
    case '%':
      return count(ReplyType::kMap);
    case '~':
      return count(ReplyType::kSet);
    case '>':
      return count(ReplyType::kPush);
    case '|':
      return count(ReplyType::kAttribute);
    default:
      return false;
  }
}

}  // namespace stash::protocol
