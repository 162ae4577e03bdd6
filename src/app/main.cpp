#include "app/app.hpp"

int main(int argc, char** argv) { return billingfoot::app::run(argc, argv); }
