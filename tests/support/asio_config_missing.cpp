// Compiled by the build.asio_config_guard test only, without the Asio setting tracehop::http
// passes on: the guard in tracehop/asio_config.hpp must stop it.
#include "tracehop/task.hpp"

int main() { return 0; }
