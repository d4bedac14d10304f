// prism serve: the OpenAI-compatible gateway.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "server/config.h"
#include "server/gateway.h"
#include "server/http_server.h"
#include "server/tls_context.h"
#include "vision/ffmpeg_logging.h"

namespace prism::cli {
namespace {

namespace net = boost::asio;

struct ServeOptions {
  std::string config_path;
  std::string host;
  int port = -1;
  std::string tls_cert;
  std::string tls_key;
  std::string log_level = "info";
  bool print_default_config = false;
};

int run_serve(const ServeOptions& opt) {
  log::set_level(log::parse_level(opt.log_level));
  vision::silence_ffmpeg_logs();
  if (opt.print_default_config) {
    std::cout << server::embedded_default_config();
    return 0;
  }
  server::Config config = opt.config_path.empty() ? server::default_config() : server::load_config_file(opt.config_path);
  if (!opt.host.empty()) config.server.host = opt.host;
  if (opt.port >= 0) config.server.port = opt.port;
  if (!opt.tls_cert.empty()) config.server.tls_cert = opt.tls_cert;
  if (!opt.tls_key.empty()) config.server.tls_key = opt.tls_key;
  if (config.server.tls_cert.empty() != config.server.tls_key.empty())
    throw Error("TLS needs both a certificate and a key: give --tls-cert and --tls-key (or [server] tls_cert and "
                "tls_key in " + config.source + ")");
  // Checked before the models load: a bad certificate fails at once.
  std::unique_ptr<net::ssl::context> tls;
  if (!config.server.tls_cert.empty())
    tls = server::make_server_tls_context(config.server.tls_cert, config.server.tls_key);
  const int threads = config.server.threads;
  const int grace_ms = config.server.shutdown_grace_ms;

  net::io_context io(threads);
  server::Gateway gateway(std::move(config));
  server::HttpServer http_server(io, gateway.config().server,
                                 [&gateway](server::Request& req, server::HttpConnection& conn) {
                                   return gateway.handle(req, conn);
                                 },
                                 std::move(tls));
  const unsigned short port = http_server.start();
  log::info("prism listening", {{"host", gateway.config().server.host},
                                {"port", port},
                                {"config", gateway.config().source},
                                {"models", gateway.router().catalog().models().size()},
                                {"threads", threads},
                                {"tls", http_server.secure()}});
  // Tests and scripts read the scheme and port from this line when they ask for port 0.
  std::cout << "prism listening on " << (http_server.secure() ? "https" : "http") << "://"
            << gateway.config().server.host << ":" << port << std::endl;
  if (gateway.config().server.playground)
    std::cout << "playground: open " << (http_server.secure() ? "https" : "http") << "://"
              << gateway.config().server.host << ":" << port << "/ in a browser" << std::endl;

  // SIGTERM/SIGINT: stop accepting, let requests in flight finish within the
  // grace period, then stop.
  net::signal_set signals(io, SIGINT, SIGTERM);
  net::steady_timer grace_timer(io);
  // While draining: poll until every connection is closed, then stop early.
  net::steady_timer poll_timer(io);
  std::function<void()> poll_until_closed = [&] {
    if (http_server.open_connections() == 0) {
      grace_timer.cancel();
      io.stop();
      return;
    }
    poll_timer.expires_after(std::chrono::milliseconds(20));
    poll_timer.async_wait([&](const boost::system::error_code& e) {
      if (!e) poll_until_closed();
    });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::info("shutting down", {{"signal", signal}, {"inflight_requests", gateway.inflight()},
                                {"grace_ms", grace_ms}});
    gateway.set_draining(true);
    http_server.begin_shutdown();
    grace_timer.expires_after(std::chrono::milliseconds(grace_ms));
    grace_timer.async_wait([&](const boost::system::error_code& ec2) {
      if (ec2) return;
      log::warn("grace period over; stopping with requests in flight", {{"inflight_requests", gateway.inflight()}});
      io.stop();
    });
    poll_until_closed();
  });

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  gateway.flush();
  log::info("prism stopped");
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app) {
  auto opt = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the OpenAI-compatible gateway and model router");
  cmd->add_option("--config", opt->config_path, "TOML configuration file (default: the embedded configuration)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--host", opt->host, "Address to listen on (overrides [server].host)");
  cmd->add_option("--port", opt->port, "Port to listen on, 0 = any free port (overrides [server].port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--tls-cert", opt->tls_cert,
                  "PEM certificate (chain) file: serve HTTPS and WSS (overrides [server].tls_cert; needs a key)");
  cmd->add_option("--tls-key", opt->tls_key, "PEM private key file of --tls-cert (overrides [server].tls_key)");
  cmd->add_option("--log-level", opt->log_level, "debug, info, warn, error or off")->capture_default_str();
  cmd->add_flag("--print-default-config", opt->print_default_config, "Print the embedded configuration and exit");
  cmd->callback([opt] { set_exit_code(run_serve(*opt)); });
}

}  // namespace prism::cli
