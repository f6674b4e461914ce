// Number <-> text conversions with Redis's exact rules: which strings are integers or floats,
// and how numbers are printed in replies and stored values.
#ifndef STASH_PROTOCOL_NUMBERS_H_
#define STASH_PROTOCOL_NUMBERS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace stash::protocol {

// Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, fits in int64.
bool StringToInt64(std::string_view s, int64_t* out);
// Redis's string2ld (strtold, whole string, no leading space, no NaN, no overflow).
bool StringToLongDouble(std::string_view s, long double* out);
// Redis's string2d-style parse used for scores and timeouts (strtod, whole string, no NaN).
bool StringToDouble(std::string_view s, double* out);

// Appends the decimal form of v.
void AppendInt64(std::string* out, int64_t v);
// Writes the decimal form into buf (at least 21 bytes); returns its length.
size_t FormatInt64(char* buf, int64_t v);
// Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros removed, as INCRBYFLOAT prints.
std::string FormatLongDoubleHuman(long double v);
// Redis 7.0's "%.17g" double format with "inf"/"-inf", as scores are replied.
std::string FormatDouble(double v);

}  // namespace stash::protocol

#endif  // STASH_PROTOCOL_NUMBERS_H_
