// LCS, as Redis 7.0's lcsCommand in t_string.c: the longest common subsequence of two strings,
// its length, or the matching ranges.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/lookup.h"
#include "server/commands/option.h"
#include "server/errors.h"

namespace stash::server {
namespace {

using storage::Entry;
using storage::ValueType;

// Replies with the ranges of one match, as Redis emits them in the IDX form.
void ReplyRange(CommandContext& ctx, uint32_t a_start, uint32_t a_end, uint32_t b_start,
                uint32_t b_end, bool with_match_len) {
  ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(a_start);
  ctx.reply.Integer(a_end);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(b_start);
  ctx.reply.Integer(b_end);
  if (with_match_len) ctx.reply.Integer(a_end - a_start + 1);
}

// Both keys are looked up as lookupKeyRead does (counted, and their LRU/LFU refreshed) before
// the type check and before the options are parsed; missing keys are empty strings.
void LcsCommand(CommandContext& ctx) {
  Entry ea = LookupRead(ctx, ctx.Key(ctx.args[1]));
  Entry eb = LookupRead(ctx, ctx.Key(ctx.args[2]));
  if ((ea && ea.type() != ValueType::kString) || (eb && eb.type() != ValueType::kString)) {
    ctx.Error("ERR The specified keys must contain string values");
    return;
  }
  std::string_view a = ea ? ea.value() : std::string_view();
  std::string_view b = eb ? eb.value() : std::string_view();

  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool more_args = j + 1 < ctx.args.size();
    if (IsOption(opt, "idx")) {
      get_idx = true;
    } else if (IsOption(opt, "len")) {
      get_len = true;
    } else if (IsOption(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (IsOption(opt, "minmatchlen") && more_args) {
      if (!protocol::StringToInt64(ctx.args[j + 1], &min_match_len)) {
        ctx.Error(errors::kNotInteger);
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
      ++j;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  if (get_idx && get_len) {
    ctx.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.Error("ERR String too long for LCS");
    return;
  }

  // lcs[j + (blen + 1) * i] is the LCS length of a[0..i-1] and b[0..j-1].
  uint32_t alen = static_cast<uint32_t>(a.size());
  uint32_t blen = static_cast<uint32_t>(b.size());
  uint64_t cells = static_cast<uint64_t>(alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) >
      static_cast<uint64_t>(ctx.server.config->proto_max_bulk_len())) {
    ctx.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  std::unique_ptr<uint32_t[]> lcs(new (std::nothrow) uint32_t[cells]);
  if (!lcs) {
    ctx.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return lcs[j + (uint64_t{blen} + 1) * i]; };
  for (uint32_t i = 0; i <= alen; ++i) {
    for (uint32_t j = 0; j <= blen; ++j) {
      if (i == 0 || j == 0) {
        at(i, j) = 0;
      } else if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }

  // Walk back from the end, building the LCS string and emitting match ranges (last first).
  uint32_t idx = at(alen, blen);
  bool compute_lcs = get_idx || !get_len;
  std::string result;
  if (compute_lcs) result.resize(idx);
  size_t array_mark = 0;
  size_t array_len = 0;
  if (get_idx) {
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("matches");
    array_mark = ctx.reply.BeginDeferredArray();
  }
  uint32_t a_start = alen, a_end = 0, b_start = 0, b_end = 0;  // a_start == alen: no range
  uint32_t i = alen, j = blen;
  while (compute_lcs && i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (a_start == alen) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {
        // Contiguous with the current range: extend it backwards.
        --a_start;
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != alen) emit = true;
    }
    if (emit) {
      uint32_t match_len = a_end - a_start + 1;
      if (get_idx && (min_match_len == 0 || match_len >= min_match_len)) {
        ReplyRange(ctx, a_start, a_end, b_start, b_end, with_match_len);
        ++array_len;
      }
      a_start = alen;
    }
  }

  if (get_idx) {
    ctx.reply.EndDeferredArray(array_mark, array_len);
    ctx.reply.Bulk("len");
    ctx.reply.Integer(at(alen, blen));
  } else if (get_len) {
    ctx.reply.Integer(at(alen, blen));
  } else {
    ctx.reply.Bulk(result);
  }
}

}  // namespace

// Called by RegisterStringCommands (strings.cc).
void RegisterLcsCommand(CommandTable& table) {
  table.Add({"lcs", -3, kReadonly, 1, 2, 1, LcsCommand, "string",
             "Find longest common substring", "7.0.0",
             "O(N*M) where N and M are the lengths of s1 and s2, respectively",
             "read string slow"});
}

}  // namespace stash::server
