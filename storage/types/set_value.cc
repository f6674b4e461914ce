#include "storage/types/set_value.h"
