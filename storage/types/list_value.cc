#include "storage/types/list_value.h"
