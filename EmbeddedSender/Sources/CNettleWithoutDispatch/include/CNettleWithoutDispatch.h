// Nothing to call: the target only defines two of Nettle's symbols (see the .c file).
