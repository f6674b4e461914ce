// Number parsing and formatting with Redis 7.0's exact rules. The INCRBYFLOAT results below were
// taken from redis-server 7.0.15 (SET k <base>, INCRBYFLOAT k <increment>).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "protocol/numbers.h"

namespace stash::protocol {
namespace {

using namespace std::string_literals;

bool IsInt64(std::string_view s) {
  int64_t ignored;
  return StringToInt64(s, &ignored);
}

int64_t ToInt64(std::string_view s) {
  int64_t v = 0x5eed;
  REQUIRE(StringToInt64(s, &v));
  return v;
}

TEST_CASE("StringToInt64 accepts canonical decimal integers across the int64 range") {
  CHECK(ToInt64("0") == 0);
  CHECK(ToInt64("7") == 7);
  CHECK(ToInt64("-7") == -7);
  CHECK(ToInt64("1234567890") == 1234567890);
  CHECK(ToInt64("9223372036854775807") == INT64_MAX);
  CHECK(ToInt64("-9223372036854775808") == INT64_MIN);
}

TEST_CASE("StringToInt64 refuses what string2ll refuses") {
  const char* refused[] = {
      "",                      // empty
      "-",                     // sign alone
      "+1",                    // no plus sign
      "-0",                    // zero has one spelling
      "00", "01", "-01",       // no leading zeros
      " 1", "1 ", "\t1",       // no spaces
      "1a", "0x10", "1e3",     // digits only
      "1.0", ".5",
      "9223372036854775808",   // INT64_MAX + 1
      "-9223372036854775809",  // INT64_MIN - 1
      "18446744073709551616",  // overflows uint64 too
      "99999999999999999999",
  };
  for (const char* s : refused) {
    CAPTURE(s);
    CHECK_FALSE(IsInt64(s));
  }
  CHECK_FALSE(IsInt64("1\0"s));   // a NUL is not a digit
  CHECK_FALSE(IsInt64("\0" "1"s));
}

TEST_CASE("StringToInt64 refuses strings of 21 bytes or more without parsing them") {
  // 20 bytes is the longest int64 ("-9223372036854775808"); string2ll stops at LONG_STR_SIZE.
  CHECK(IsInt64("-9223372036854775808"));
  CHECK_FALSE(IsInt64("-9223372036854775808" "0"));
  CHECK_FALSE(IsInt64(std::string(21, '1')));
  CHECK_FALSE(IsInt64(std::string(100, '1')));
}

TEST_CASE("StringToInt64 leaves the output untouched on failure") {
  int64_t v = 99;
  CHECK_FALSE(StringToInt64("x", &v));
  CHECK_FALSE(StringToInt64("9223372036854775808", &v));
  CHECK(v == 99);
}

TEST_CASE("every int64 formatted and parsed back is the same number") {
  const int64_t values[] = {0, 1, -1, 9, 10, 99, 100, -100, 1LL << 31, -(1LL << 31),
                            1LL << 53, 999999999999999999LL, INT64_MAX, INT64_MIN,
                            INT64_MAX - 1, INT64_MIN + 1};
  for (int64_t v : values) {
    CAPTURE(v);
    char buf[21];
    size_t n = FormatInt64(buf, v);
    std::string text(buf, n);
    CHECK(text == std::to_string(v));
    CHECK(ToInt64(text) == v);
    std::string appended = "x";
    AppendInt64(&appended, v);
    CHECK(appended == "x" + std::to_string(v));
  }
}

// ---------------------------------------------------------------------------------------------
// Long doubles (INCRBYFLOAT) and doubles (scores).

long double ToLongDouble(std::string_view s) {
  long double v = 0;
  REQUIRE(StringToLongDouble(s, &v));
  return v;
}

TEST_CASE("StringToLongDouble accepts what strtold reads completely") {
  CHECK(ToLongDouble("10.5") == 10.5L);
  CHECK(ToLongDouble("3.0e3") == 3000.0L);
  CHECK(ToLongDouble("+1") == 1.0L);  // unlike integers, '+' is fine (INCRBYFLOAT k +1 works)
  CHECK(ToLongDouble(".5") == 0.5L);
  CHECK(ToLongDouble("5.") == 5.0L);
  CHECK(ToLongDouble("1.0e+2") == 100.0L);
  CHECK(ToLongDouble("0x10") == 16.0L);  // strtold reads hex; so does Redis
  CHECK(ToLongDouble("0x1p4") == 16.0L);
  CHECK(ToLongDouble("-0.0") == 0.0L);
  CHECK(std::isinf(ToLongDouble("inf")));  // parsed; INCRBYFLOAT then rejects the result
  CHECK(std::isinf(ToLongDouble("-infinity")));
}

TEST_CASE("StringToLongDouble refuses spaces, junk, NaN and out-of-range values") {
  const char* refused[] = {"", " 1", "1 ", "\t1", "1e", "abc", "1.2.3", "nan", "NaN", "-nan",
                           "1e5000", "-1e5000", "1e-5000", "--1", "0x"};
  for (const char* s : refused) {
    CAPTURE(s);
    long double v;
    CHECK_FALSE(StringToLongDouble(s, &v));
  }
  long double v;
  CHECK_FALSE(StringToLongDouble("1\0"s, &v));
  // MAX_LONG_DOUBLE_CHARS (5 KiB) bounds the length, even for a valid number.
  CHECK_FALSE(StringToLongDouble("1" + std::string(5 * 1024, '0'), &v));
  CHECK(StringToLongDouble("0." + std::string(5000, '0'), &v));
}

TEST_CASE("StringToDouble follows the same rules with double range") {
  double d = 0;
  CHECK(StringToDouble("1.5", &d));
  CHECK(d == 1.5);
  CHECK(StringToDouble("-inf", &d));
  CHECK(std::isinf(d));
  CHECK(StringToDouble("+inf", &d));
  CHECK(StringToDouble("1e308", &d));
  CHECK(StringToDouble("4.9e-324", &d));  // a denormal is not a range error to refuse
  CHECK_FALSE(StringToDouble("1e309", &d));
  CHECK_FALSE(StringToDouble("1e-400", &d));
  CHECK_FALSE(StringToDouble("nan", &d));
  CHECK_FALSE(StringToDouble(" 1", &d));
  CHECK_FALSE(StringToDouble("1 ", &d));
  CHECK_FALSE(StringToDouble("", &d));
  CHECK_FALSE(StringToDouble("1x", &d));
}

// What INCRBYFLOAT stores and replies: parse both operands as long doubles, add, format.
std::string IncrByFloat(std::string_view base, std::string_view increment) {
  return FormatLongDoubleHuman(ToLongDouble(base) + ToLongDouble(increment));
}

TEST_CASE("FormatLongDoubleHuman prints what INCRBYFLOAT replies") {
  CHECK(IncrByFloat("10.5", "0.1") == "10.6");
  CHECK(IncrByFloat("3.0e3", "0") == "3000");
  CHECK(IncrByFloat("5.0e3", "200") == "5200");
  CHECK(IncrByFloat("0", "0") == "0");
  CHECK(IncrByFloat("1", "-1") == "0");
  CHECK(IncrByFloat("-1", "0.5") == "-0.5");
  CHECK(IncrByFloat("0.1", "0.2") == "0.3");
  CHECK(IncrByFloat("1.5", "-3") == "-1.5");
  CHECK(IncrByFloat("10", "-20.25") == "-10.25");
  CHECK(IncrByFloat("1e-17", "0") == "0.00000000000000001");
  CHECK(IncrByFloat("1e-18", "0") == "0");  // below the 17 printed decimals
  CHECK(IncrByFloat("3", "0.000000000000000001") == "3");
  CHECK(IncrByFloat("123456789012345678", "0") == "123456789012345678");
  CHECK(IncrByFloat("1e20", "0") == "100000000000000000000");
  CHECK(IncrByFloat("1.23456789012345678", "0") == "1.23456789012345678");
  CHECK(IncrByFloat("17179869184", "0.1") == "17179869184.09999999962747097");
  CHECK(IncrByFloat("0x10", "0") == "16");
  CHECK(IncrByFloat("1", "+1") == "2");
}

TEST_CASE("FormatLongDoubleHuman never prints negative zero") {
  CHECK(IncrByFloat("-0.0", "0") == "0");
  CHECK(IncrByFloat("0", "-0.0") == "0");
  CHECK(FormatLongDoubleHuman(-0.0L) == "0");
  CHECK(FormatLongDoubleHuman(-1e-30L) == "0");  // rounds to "-0.000..." first
}

TEST_CASE("FormatLongDoubleHuman spells infinities and prints huge values in full") {
  CHECK(FormatLongDoubleHuman(std::numeric_limits<long double>::infinity()) == "inf");
  CHECK(FormatLongDoubleHuman(-std::numeric_limits<long double>::infinity()) == "-inf");
  // redis-server 7.0: SET k 1, INCRBYFLOAT k 1e308.
  CHECK(IncrByFloat("1", "1e308") ==
        "9999999999999999999668587965584564566056009984741556720779704799492173486883806187210012"
        "6921888539320446747225054013223152134749593960583597420814430196418767959100019603190778"
        "6631096045071066679391533957889389145605435630612683649016186302170865892534448816237913"
        "00855757318142424510452728255046343928578048");
}

TEST_CASE("FormatLongDoubleHuman prints the largest long doubles without truncation") {
  // ld2string would give up past 5 KiB, but no finite long double needs that many digits.
  long double max = std::numeric_limits<long double>::max();
  std::string text = FormatLongDoubleHuman(max);
  CHECK(text.size() == 4933);
  CHECK(text.substr(0, 5) == "11897");
}

TEST_CASE("FormatDouble is %.17g with inf spelled out, as 7.0 replies scores") {
  CHECK(FormatDouble(0.1) == "0.10000000000000001");
  CHECK(FormatDouble(3) == "3");
  CHECK(FormatDouble(-2.5) == "-2.5");
  CHECK(FormatDouble(1e300) == "1.0000000000000001e+300");
  CHECK(FormatDouble(1e17) == "1e+17");
  CHECK(FormatDouble(0) == "0");
  CHECK(FormatDouble(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(FormatDouble(-std::numeric_limits<double>::infinity()) == "-inf");
}

}  // namespace
}  // namespace stash::protocol
