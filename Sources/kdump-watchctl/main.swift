import Glibc
import KdumpWatchCtl

// A blocked signal mask survives exec; start from an empty one so SIGTERM and SIGINT end
// `watch` and `wait` even when the parent (a test runner, a supervisor) had them blocked.
var emptySignalSet = sigset_t()
sigemptyset(&emptySignalSet)
sigprocmask(SIG_SETMASK, &emptySignalSet, nil)

exit(await KdumpWatchctl.main(arguments: Array(CommandLine.arguments.dropFirst())))
