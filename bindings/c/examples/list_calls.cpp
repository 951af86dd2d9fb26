// list_calls.cpp: C++17 example over velip.hpp. Counts the calls of a date
// range by final status and prints one sample call.
//
//   list_calls_cpp START END     (VELIP_TOKEN and VELIP_BASE_URL in the environment)
//
//   c++ -std=c++17 list_calls.cpp $(pkg-config --cflags --libs velip) -o list_calls_cpp
#include "velip.hpp"

#include <cstdlib>
#include <iostream>
#include <map>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " START END\n";
        return 2;
    }
    const char *token = std::getenv("VELIP_TOKEN");
    const char *base = std::getenv("VELIP_BASE_URL");
    if (token == nullptr) {
        std::cerr << "set VELIP_TOKEN\n";
        return 2;
    }
    try {
        velip::Client client(base ? base : "https://vox.velip.com.br", token);
        auto calls = client.list_calls(velip::Filter().date_range(argv[1], argv[2]).page_size(1000));
        std::map<std::string, uint64_t> by_status;
        std::optional<std::string> sample;
        while (auto call = calls.next()) {
            by_status[call->status().value_or("(none)")]++;
            if (!sample) {
                sample = call->call_id();
            }
        }
        for (const auto &[status, count] : by_status) {
            std::cout << status << '\t' << count << '\n';
        }
        auto stats = calls.stats();
        std::cout << "total\t" << stats.records_yielded << " in " << stats.pages_fetched << " pages\n";
        if (sample) {
            auto record = client.get_call(*sample);
            velip::RecordView view(record.get());
            std::cout << "sample\t" << view.call_id() << ' ' << view.date().value_or("-") << ' '
                      << view.value().value_or("-") << " BRL, " << view.dtmf().size() << " DTMF\n";
        }
        std::cout << "phone\t" << velip::phone_format("(11) 99999-9999", VELIP_PHONE_E164) << '\n';
        std::cout << "libvelip\t" << velip::version() << '\n';
    } catch (const velip::Error &e) {
        std::cerr << "velip: " << e.what() << '\n';
        if (auto s = e.retry_after_seconds()) {
            std::cerr << "retry after " << *s << " s\n";
        }
        return 1;
    }
    return 0;
}
