// Calls a server's global through an installed tvmffi-rpc: consumer <server-address>.
#include <tvmffi/rpc/client.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: consumer HOST:PORT\n";
    return 2;
  }
  try {
    auto session = tvmffi::rpc::Connect(argv[1]);
    tvm::ffi::Function add_one = session.GetGlobalRequired("my_ext.add_one");
    std::cout << add_one(41).cast<int>() << "\n";
    return 0;
  } catch (const tvm::ffi::Error& e) {
    std::cerr << e.kind() << ": " << e.message() << "\n";
    return 1;
  }
}
