/* The server's O(1) deadline queue (src/server/deadline_fifo.c): order, re-arm,
 * disarm from anywhere, and "nothing due" before its time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/server/deadline_fifo.c"

static void test_pops_in_arming_order_when_due(void **state) {
  (void)state;
  sky_deadline_fifo q = {0};
  sky_deadline a = {0}, b = {0}, c = {0};
  sky_deadline_arm(&q, &a, 100);
  sky_deadline_arm(&q, &b, 150);
  sky_deadline_arm(&q, &c, 150);
  assert_null(sky_deadline_pop_due(&q, 99));
  assert_ptr_equal(sky_deadline_pop_due(&q, 100), &a);
  assert_false(a.armed);
  assert_null(sky_deadline_pop_due(&q, 120));
  assert_ptr_equal(sky_deadline_pop_due(&q, 200), &b);
  assert_ptr_equal(sky_deadline_pop_due(&q, 200), &c);
  assert_null(sky_deadline_pop_due(&q, 1000));
  assert_null(q.head);
  assert_null(q.tail);
}

static void test_rearm_moves_to_the_tail(void **state) {
  (void)state;
  sky_deadline_fifo q = {0};
  sky_deadline a = {0}, b = {0};
  sky_deadline_arm(&q, &a, 100);
  sky_deadline_arm(&q, &b, 110);
  sky_deadline_arm(&q, &a, 120); /* a keepalive re-armed after its check */
  assert_ptr_equal(sky_deadline_pop_due(&q, 130), &b);
  assert_ptr_equal(sky_deadline_pop_due(&q, 130), &a);
  assert_null(sky_deadline_pop_due(&q, 130));
}

static void test_disarm_from_head_middle_tail_and_twice(void **state) {
  (void)state;
  sky_deadline_fifo q = {0};
  sky_deadline d[4] = {{0}};
  for (int i = 0; i < 4; i++) sky_deadline_arm(&q, &d[i], (uint64_t)i);
  sky_deadline_disarm(&q, &d[1]); /* middle */
  sky_deadline_disarm(&q, &d[0]); /* head */
  sky_deadline_disarm(&q, &d[3]); /* tail */
  sky_deadline_disarm(&q, &d[3]); /* twice: nothing */
  assert_ptr_equal(q.head, &d[2]);
  assert_ptr_equal(q.tail, &d[2]);
  assert_ptr_equal(sky_deadline_pop_due(&q, 10), &d[2]);
  assert_null(q.head);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pops_in_arming_order_when_due),
      cmocka_unit_test(test_rearm_moves_to_the_tail),
      cmocka_unit_test(test_disarm_from_head_middle_tail_and_twice),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
