/* GCC 13's <iostream> makes every translation unit reference this symbol as a marker that the
   program needs libstdc++ >= 13 (GLIBCXX_3.4.32). In libstdc++ it is an empty function, so an empty
   definition is a faithful stand-in on systems whose libstdc++ is older (Debian 12 ships GCC 12). */
void _ZSt21ios_base_library_initv(void) {}
