#include "storage/types/hash_value.h"
