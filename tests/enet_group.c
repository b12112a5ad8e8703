#include "enet_group.h"

#include <enet/enet.h>

int enet_group_setup(void **state)
{
    (void)state;
    return enet_initialize() == 0 ? 0 : -1;
}

int enet_group_teardown(void **state)
{
    (void)state;
    enet_deinitialize();
    return 0;
}
