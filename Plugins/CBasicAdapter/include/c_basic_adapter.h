/* c-basic exports only hookbay_adapter_entry (see hookbay_plugin.h). */
#include "hookbay_plugin.h"
