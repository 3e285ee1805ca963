package clickpipe

import "syscall"

// stopSignal pauses a process without ending it.
const stopSignal = syscall.SIGSTOP
