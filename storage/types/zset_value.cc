#include "storage/types/zset_value.h"
