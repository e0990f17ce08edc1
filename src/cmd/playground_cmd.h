// `tessera playground`: a whole cluster on loopback in one command, for trying Tessera out.
//
// Starts PD members and nodes as child processes of this binary (`tessera pd`, `tessera
// server --pd ...`), waits until the cluster is healthy (every node registered with PD and a
// write committed), prints the endpoints and copy-paste commands, and keeps a one-line live
// status on a terminal. SIGINT (Ctrl-C) or SIGTERM stops every child it started (by pid:
// SIGTERM, then SIGKILL after a grace period) and, when the data directory was a fresh one it
// made, removes it.
//
// Port layout with --base-port B (README, "Ports"): PD member j (1-based) serves its API on
// B+j-1 and HTTP on B+4+j; node i (1-based) serves the native API on B+10+i, RESP on B+20+i, the
// etcd API on B+30+i and HTTP (metrics, health, status) on B+40+i. Hence at most 5 PD members
// and 9 nodes.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tessera::cmd {

struct PlaygroundFlags {
  int nodes = 3;
  int pd = 1;
  std::string data_dir;  // "": a fresh directory, removed at exit
  int base_port = 20100;
};

CLI::App* AddPlaygroundCommand(CLI::App* app, PlaygroundFlags* flags);
int RunPlayground(const PlaygroundFlags& flags, const std::string& self_exe);

}  // namespace tessera::cmd
