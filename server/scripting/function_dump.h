// FUNCTION DUMP / RESTORE payloads in Redis 7.0's format: for each library the opcode
// RDB_OPCODE_FUNCTION2 (245) and its code as an RDB string, then the RDB version (10, two bytes
// little-endian) and a CRC-64 (Jones) of everything before it, little-endian.
#ifndef STASH_SERVER_SCRIPTING_FUNCTION_DUMP_H_
#define STASH_SERVER_SCRIPTING_FUNCTION_DUMP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash::server::scripting {

// Redis's crc64 (Jones polynomial, reflected, no final xor).
uint64_t Crc64(uint64_t crc, std::string_view data);

// Our DUMP writes the code uncompressed (Redis may LZF-compress it; both read either).
std::string DumpLibraries(const std::vector<std::string>& codes);

// Checks version and checksum and extracts each library's code (LZF strings included).
bool ParseDump(std::string_view payload, std::vector<std::string>* codes);

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_FUNCTION_DUMP_H_
