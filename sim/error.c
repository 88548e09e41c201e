#include "sandpit/error.h"

const char* sp_error_name(int code) {
    switch (code) {
#define SP_ERROR_CASE(sym, num, name)                                                              \
    case num:                                                                                      \
        return name;
        SP_ERROR_LIST(SP_ERROR_CASE)
#undef SP_ERROR_CASE
    }
    return "internal";
}
