#include "common/log.h"
int main() { tock::log::Info("hello"); return 0; }
