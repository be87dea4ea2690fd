// serve: the CppCMS-style service of stage 7.
//
// The program is serve_main() (serve_program.hpp), which stage 8 extends
// with more options and applications. It builds a Loop over the backend
// --backend names, stage 5's timers and stage 6's post queue as its
// Sources, a thread pool, the Service with the sample applications
// mounted, the Acceptor and the SignalPipe. Prints `listening on http://ADDR:PORT/`
// once it accepts, runs until SIGINT or SIGTERM, shuts down gracefully
// and exits 0 (1 if it could not listen, 2 for a usage error).
// Lesson: lessons/07-serve.md.
#include "serve_program.hpp"

int main(int argc, char** argv) {
    return kit::serve_main(argc, argv);
}
