/*
 * lamina_act_impl.h -- the activation kernels of lamina_act.h for one ISA; included by
 * lamina_per_isa.h (which defines LISA and LATTR) from lamina_act.h only.
 */
LAMINA_ACT_BODY(d, double, lamina_vexp_nonpos_d, lamina_vexpm1_d, 1.0, 2.0)
LAMINA_ACT_BODY(s, float, lamina_vexp_nonpos_s, lamina_vexpm1_s, 1.0f, 2.0f)
LAMINA_ACT_GELU_BODY
