#include <gtest/gtest.h>

#include <string>

#include "redis/test_util.h"

namespace tessera::redis {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): test helpers

class ServerCommandsTest : public ::testing::Test, public ExecutorFixture {};

TEST_F(ServerCommandsTest, PingEchoSelect) {
  EXPECT_EQ(Cmd({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Cmd({"ping", "hi"}), Bulk("hi"));
  EXPECT_EQ(Cmd({"PING", "a", "b"}), Err("ERR wrong number of arguments for 'ping' command"));
  EXPECT_EQ(Cmd({"ECHO", "x y"}), Bulk("x y"));
  EXPECT_EQ(Cmd({"SELECT", "0"}), kOk);
  EXPECT_EQ(Cmd({"SELECT", "1"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Cmd({"SELECT", "x"}), Err("ERR value is not an integer or out of range"));
}

TEST_F(ServerCommandsTest, UnknownAndArity) {
  EXPECT_EQ(Cmd({"FOO"}), Err("ERR unknown command 'FOO', with args beginning with: "));
  EXPECT_EQ(Cmd({"foo", "a", "b c"}),
            Err("ERR unknown command 'foo', with args beginning with: 'a' 'b c' "));
  EXPECT_EQ(Cmd({"GET"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Cmd({"Get", "a", "b"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Cmd({"SET", "a"}), Err("ERR wrong number of arguments for 'set' command"));
  EXPECT_EQ(Cmd({"HSET", "h", "f", "v"}),
            Err("ERR unknown command 'HSET', with args beginning with: 'h' 'f' 'v' "));
  std::string long_arg(300, 'x');
  std::string reply = Cmd({"NOPE", long_arg, "second"});
  EXPECT_EQ(reply, Err("ERR unknown command 'NOPE', with args beginning with: '" +
                       std::string(128, 'x') + "' "));
}

TEST_F(ServerCommandsTest, ClientAndHello) {
  EXPECT_EQ(Cmd({"CLIENT", "ID"}), Int(session_.id));
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), kNil);
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", "app"}), kOk);
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), Bulk("app"));
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", "a b"}),
            Err("ERR Client names cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(Cmd({"CLIENT", "SETINFO", "lib-name", "redis-py"}), kOk);
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME"}),
            Err("ERR wrong number of arguments for 'client|setname' command"));
  EXPECT_EQ(Cmd({"CLIENT", "KILL"}), Err("ERR unknown subcommand 'KILL'. Try CLIENT HELP."));
  EXPECT_EQ(Cmd({"HELLO", "3"}), Err("NOPROTO unsupported protocol version"));
  EXPECT_EQ(Cmd({"HELLO", "x"}), Err("ERR Protocol version is not an integer or out of range"));
  std::string hello = Cmd({"HELLO", "2", "SETNAME", "n2"});
  EXPECT_EQ(hello.substr(0, 5), "*14\r\n");
  EXPECT_NE(hello.find(Bulk("proto") + Int(2)), std::string::npos);
  EXPECT_EQ(session_.name, "n2");
  EXPECT_EQ(Cmd({"HELLO", "2", "BOGUS"}), Err("ERR Syntax error in HELLO option 'BOGUS'"));
}

TEST_F(ServerCommandsTest, CommandIntrospection) {
  std::string count = Cmd({"COMMAND", "COUNT"});
  ASSERT_EQ(count[0], ':');
  int64_t n = std::stoll(count.substr(1));
  EXPECT_GT(n, 30);
  std::string all = Cmd({"COMMAND"});
  EXPECT_EQ(all.substr(0, all.find("\r\n")), "*" + std::to_string(n));
  EXPECT_EQ(Cmd({"COMMAND", "DOCS"}), "*0\r\n");
  std::string info = Cmd({"COMMAND", "INFO", "get", "nope"});
  EXPECT_EQ(info.substr(0, 9), "*2\r\n*10\r\n");
  EXPECT_NE(info.find(Bulk("get") + Int(2) + "*2\r\n+readonly\r\n+fast\r\n"), std::string::npos);
  EXPECT_NE(info.find("*-1\r\n"), std::string::npos);
  EXPECT_EQ(Cmd({"COMMAND", "BOGUS"}), Err("ERR unknown subcommand 'BOGUS'. Try COMMAND HELP."));
}

TEST_F(ServerCommandsTest, InfoAndConfig) {
  EXPECT_EQ(Cmd({"SET", "a", "1", "EX", "100"}), kOk);
  EXPECT_EQ(Cmd({"SET", "b", "1"}), kOk);
  std::string info = Cmd({"INFO"});
  EXPECT_NE(info.find("redis_version:7.0.0\r\n"), std::string::npos);
  EXPECT_NE(info.find("tessera_version:"), std::string::npos);
  EXPECT_NE(info.find("connected_clients:"), std::string::npos);
  EXPECT_NE(info.find("db0:keys=2,expires=1,avg_ttl=0\r\n"), std::string::npos);
  std::string server = Cmd({"INFO", "server"});
  EXPECT_EQ(server.find("# Keyspace"), std::string::npos);
  EXPECT_EQ(Cmd({"CONFIG", "GET", "save"}), Array({Bulk("save"), Bulk("")}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "appendonly"}), Array({Bulk("appendonly"), Bulk("no")}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "nope"}), "*0\r\n");
  EXPECT_EQ(Cmd({"CONFIG", "SET", "save", ""}),
            Err("ERR unknown subcommand 'SET'. Try CONFIG HELP."));
}

TEST_F(ServerCommandsTest, Quit) {
  EXPECT_EQ(Cmd({"QUIT"}), kOk);
  EXPECT_TRUE(session_.close);
}

}  // namespace
}  // namespace tessera::redis
