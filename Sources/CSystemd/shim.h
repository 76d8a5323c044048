#ifndef KDUMP_WATCH_CSYSTEMD_SHIM_H
#define KDUMP_WATCH_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
