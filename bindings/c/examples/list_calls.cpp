// list_calls.cpp: C++17 example over velip.hpp. Counts the calls of a date
// range by final status and prints one sample call.
//
//   list_calls_cpp START END     (VELIP_TOKEN and VELIP_BASE_URL in the environment)
//
//   c++ -std=c++17 list_calls.cpp $(pkg-config --cflags --libs velip) -o list_calls_cpp
#include <velip.hpp>

#include <iostream>
#include <map>
#include <vector>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " START END\n";
        return 2;
    }
    try {
        // VELIP_TOKEN and VELIP_BASE_URL (default: the production service).
        velip::Client client(velip::ClientConfig::from_env().max_retries(2));
        auto calls = client.list_calls(velip::Filter().date_range(argv[1], argv[2]).page_size(1000));
        std::map<std::string, uint64_t> by_status;
        std::vector<velip::Record> kept;  // records are owned: keeping some is safe
        for (velip::Record &call : calls) {
            by_status[call.status().value_or("(none)")]++;
            if (kept.size() < 3) {
                kept.push_back(std::move(call));
            }
        }
        for (const auto &[status, count] : by_status) {
            std::cout << status << '\t' << count << '\n';
        }
        std::cout << "total\t" << calls.records_yielded() << " in " << calls.pages_fetched() << " pages\n";
        if (!kept.empty()) {
            auto record = client.get_call(kept.front().call_id());
            std::cout << "sample\t" << record.call_id() << ' ' << record.date().value_or("-") << ' '
                      << record.value().value_or("-") << " BRL, " << record.dtmf().size() << " DTMF\n";
        }
        std::cout << "phone\t" << velip::phone_format("(11) 99999-9999", velip::PhoneStyle::E164) << '\n';
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
