#include "movement.h"

#include "proto.h"

#include <math.h>

void movement_step(float *x, float *y, bool up, bool down, bool left, bool right, float speed,
                   double dt_s)
{
    if (dt_s > 0.1)
        dt_s = 0.1;
    if (!(dt_s > 0.0))
        return;
    float dx = (float)(right - left);
    float dy = (float)(down - up); /* screen convention: y grows downwards */
    float len = sqrtf(dx * dx + dy * dy);
    if (len == 0.0f)
        return;
    float step = speed * (float)dt_s / len;
    *x = proto_clamp_x(*x + dx * step);
    *y = proto_clamp_y(*y + dy * step);
}
