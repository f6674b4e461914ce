#include "server/command_table.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace stash::server {

static std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return out;
}

const Command* Command::FindSubcommand(std::string_view name) const {
  auto it = subcommand_index.find(name);
  return it == subcommand_index.end() ? nullptr : it->second;
}

std::string Command::full_name() const { return spec.name; }

CommandTable& CommandTable::Get() {
  static CommandTable* table = new CommandTable();
  return *table;
}

CommandTable::CommandTable() {
  RegisterConnectionCommands(*this);
  RegisterServerCommands(*this);
  RegisterMemoryCommands(*this);
  RegisterStringCommands(*this);
  RegisterKeyCommands(*this);
  RegisterTransactionCommands(*this);
  RegisterHashCommands(*this);
  RegisterListCommands(*this);
  RegisterBlockingListCommands(*this);
  RegisterSetCommands(*this);
  RegisterZSetCommands(*this);
  RegisterBlockingZSetCommands(*this);
  RegisterScriptingCommands(*this);
  RegisterPubsubCommands(*this);
}

void CommandTable::Add(const CommandSpec& spec) {
  auto cmd = std::make_unique<Command>();
  cmd->spec = spec;
  cmd->upper_name = Upper(spec.name);
  cmd->id = static_cast<int>(by_id_.size());
  by_id_.push_back(cmd.get());
  all_.push_back(cmd.get());
  auto [it, inserted] = commands_.emplace(spec.name, std::move(cmd));
  if (!inserted) throw std::logic_error(std::string("duplicate command ") + spec.name);
}

void CommandTable::AddSubcommand(const char* parent, const CommandSpec& spec) {
  auto it = commands_.find(parent);
  if (it == commands_.end()) throw std::logic_error(std::string("no parent ") + parent);
  Command* p = it->second.get();
  auto cmd = std::make_unique<Command>();
  cmd->spec = spec;
  std::string_view full = spec.name;
  std::string_view sub = full.substr(full.find('|') + 1);
  cmd->upper_name = Upper(sub);
  cmd->parent = p;
  cmd->id = static_cast<int>(by_id_.size());
  by_id_.push_back(cmd.get());
  p->subcommand_index.emplace(std::string(sub), cmd.get());
  p->subcommands.push_back(std::move(cmd));
}

const Command* CommandTable::Find(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : it->second.get();
}

}  // namespace stash::server
