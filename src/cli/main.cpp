// The tracehop command.
#include <CLI/CLI.hpp>
#include <iostream>

#include "demo.hpp"
#include "tracehop/trace/log.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tracehop: one distributed trace across every HTTP hop", "tracehop"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tracehop " TRACEHOP_VERSION);

  tracehop::cli::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "build a small trace across two services and print it");
  demo_cmd->add_option("--exporter", demo.exporter, "also export spans: console or none")
      ->check(CLI::IsMember({"console", "none"}))
      ->default_str("none");
  demo_cmd->add_option("--spans-out", demo.spans_out,
                       "write every span as OTLP/JSON lines to FILE (- for stdout)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tracehop: " << e.what() << " (see tracehop --help)\n";
    return 2;
  }

  try {
    if (*demo_cmd) return tracehop::cli::run_demo(demo);
  } catch (const std::exception& e) {
    std::cerr << "tracehop: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
