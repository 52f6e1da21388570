// simpleclaw entry point: everything lives in the cli library.
#include "cli/cli.h"

int main(int argc, char** argv) { return simpleclaw::cli::run(argc, argv); }
