// The one `tessera` binary: server | pd | ctl | playground | bench.
//
// `server` runs a node, `pd` a placement driver member, `ctl` runs key-value and admin commands,
// `playground` a whole cluster on loopback; bench is registered so that its flags have a home,
// and says plainly that it is not built yet (exit code 2).
#include <absl/synchronization/mutex.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cmd/ctl_cmd.h"
#include "cmd/pd_cmd.h"
#include "cmd/playground_cmd.h"
#include "cmd/server_cmd.h"
#include "cmd/version.h"

namespace {

int NotYet(const std::string& name) {
  std::fprintf(stderr,
               "tessera %s: not available in this version (%s); see README.md for what exists\n",
               name.c_str(), tessera::kVersion);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds abseil without NDEBUG, which leaves absl::Mutex's lock-order graph on: every
  // lock of a gRPC mutex then updates a global graph (2-3% of all CPU under redis-benchmark, by
  // perf: GraphCycles::GetId and RemoveNode). Tessera's own locks are std::mutex.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"Tessera: a distributed, strongly consistent key-value database"};
  app.set_version_flag("--version", std::string("tessera ") + tessera::kVersion);
  app.require_subcommand(0, 1);

  auto* help = app.add_subcommand("help", "Show help for tessera or one of its subcommands");
  std::string help_topic;
  help->add_option("subcommand", help_topic, "Subcommand to describe");

  struct Sub {
    const char* name;
    const char* what;
  };
  tessera::cmd::ServerFlags server_flags;
  auto* server = tessera::cmd::AddServerCommand(&app, &server_flags);
  tessera::cmd::CtlFlags ctl_flags;
  auto* ctl = tessera::cmd::AddCtlCommand(&app, &ctl_flags);

  tessera::cmd::PdFlags pd_flags;
  auto* pd = tessera::cmd::AddPdCommand(&app, &pd_flags);

  tessera::cmd::PlaygroundFlags playground_flags;
  auto* playground = tessera::cmd::AddPlaygroundCommand(&app, &playground_flags);

  const Sub subs[] = {
      {"bench", "Run load against a cluster"},
  };
  for (const auto& s : subs) app.add_subcommand(s.name, s.what)->allow_extras();

  CLI11_PARSE(app, argc, argv);

  if (help->parsed()) {
    if (help_topic.empty()) {
      app.clear();  // forget the parsed `help` so that the top-level help is printed
      std::printf("%s", app.help().c_str());
      return 0;
    }
    CLI::App* sub = nullptr;
    for (auto* candidate : app.get_subcommands([](CLI::App*) { return true; })) {
      if (candidate->get_name() == help_topic) sub = candidate;
    }
    if (sub == nullptr) {
      std::fprintf(stderr, "tessera help: unknown subcommand '%s'\n", help_topic.c_str());
      return 1;
    }
    std::printf("%s", sub->help().c_str());
    return 0;
  }
  if (server->parsed()) return tessera::cmd::RunServer(server_flags);
  if (ctl->parsed()) return tessera::cmd::RunCtl(ctl_flags);
  if (pd->parsed()) return tessera::cmd::RunPd(pd_flags);
  if (playground->parsed()) {
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
      std::fprintf(stderr, "tessera playground: cannot find its own binary\n");
      return 1;
    }
    return tessera::cmd::RunPlayground(playground_flags, std::string(self, static_cast<size_t>(n)));
  }
  for (const auto& s : subs) {
    if (app.got_subcommand(s.name)) return NotYet(s.name);
  }
  std::printf("%s", app.help().c_str());
  return 0;
}
