/*
 * lamina_losses_elem.h -- the per-element loss functions, one definition per dtype.
 *
 * Included by lamina_losses.h with LT (element type), LP (d or s) and LV(fn) (the dtype's
 * lamina_v*_{d,s} function from lamina_vmath.h) defined.  Each function returns the loss of
 * one element and stores d(loss)/d(pred) in *g.  They are branch-free (selects only) and
 * always inlined, so the loops in lamina_losses_impl.h vectorize them for every ISA.
 *
 * pred p, target t, parameter a (delta, beta, pos_weight, l1_ratio; unused otherwise).
 */
#define LEF(name) LCAT2(lamina_##name##_, LP)
#define LCAT2_(a, b) a##b
#define LCAT2(a, b) LCAT2_(a, b)

LAMINA_VINLINE LT LEF(sign)(LT d) { return d > 0 ? (LT)1 : (d < 0 ? (LT)-1 : (LT)0); }

/* (p - t)^2, gradient 2 (p - t). */
LAMINA_VINLINE LT LEF(loss_mse)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t;
    (void)a;
    *g = 2 * d;
    return d * d;
}

/* |p - t|, subgradient sign(p - t) (0 at 0). */
LAMINA_VINLINE LT LEF(loss_mae)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t;
    (void)a;
    *g = LEF(sign)(d);
    return d < 0 ? -d : d;
}

/* Huber: d^2/2 inside |d| <= a, a (|d| - a/2) outside. */
LAMINA_VINLINE LT LEF(loss_huber)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t, ad = d < 0 ? -d : d;
    int in = ad <= a;
    *g = in ? d : a * LEF(sign)(d);
    return in ? (LT)0.5 * d * d : a * (ad - (LT)0.5 * a);
}

/* Smooth L1 (beta = a): d^2/(2a) inside |d| < a, |d| - a/2 outside. */
LAMINA_VINLINE LT LEF(loss_smooth_l1)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t, ad = d < 0 ? -d : d;
    int in = ad < a;
    *g = in ? d / a : LEF(sign)(d);
    return in ? (LT)0.5 * d * d / a : ad - (LT)0.5 * a;
}

/* log(cosh(d)), a = |d|, from one expm1:  em = expm1(-2a) in (-1, 0],
 *   gradient tanh(d) = sign(d) (-em / (2 + em))  (no cancellation near 0),
 *   a >= 1/2:  log cosh a = a + log1p(em / 2)   (= a - ln 2 + log(1 + exp(-2a)), no
 *              overflow; the result is >= 0.12, so the sum loses at most ~2 bits),
 *   a <  1/2:  the even Taylor series sum_n c_n a^(2n), c_n = 2^(2n-1) (4^n - 1) B_2n /
 *              (n (2n)!) (Bernoulli numbers B), to a^34 (double) / a^16 (float): keeps
 *              the a^2/2 behaviour near 0 to full relative accuracy. */
LAMINA_VINLINE LT LEF(loss_log_cosh)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t, ad = d < 0 ? -d : d;
    (void)a;
    LT em = LV(expm1)(-2 * ad);
    LT th = (0 - em) / (2 + em);                /* 0 - (+0) keeps tanh(0) = +0 */
    *g = d < 0 ? -th : th;
    LT far = ad + LV(log1p)((LT)0.5 * em);
    LT z = ad * ad;
    LT q = LAMINA_LOG_COSH_SERIES(z);
    return ad < (LT)0.5 ? z * q : far;
}

/* Binary cross-entropy on logits with positive-class weight a:
 *   a t softplus(-p) + (1 - t) softplus(p),  softplus(z) = max(z, 0) + log1p(exp(-|z|)),
 * gradient a t (sigmoid(p) - 1) + (1 - t) sigmoid(p), both sigmoids formed from
 * e = exp(-|p|) so that neither cancels nor overflows. */
LAMINA_VINLINE LT LEF(loss_bce)(LT p, LT t, LT a, LT *g)
{
    LT ap = p < 0 ? -p : p;
    LT e = LV(exp)(-ap);
    LT l1p = LV(log1p)(e);
    LT sp_pos = (p > 0 ? p : (LT)0) + l1p;      /* softplus(p)  = -log(1 - sigmoid(p)) */
    LT sp_neg = (p < 0 ? -p : (LT)0) + l1p;     /* softplus(-p) = -log(sigmoid(p))     */
    LT inv = 1 / (1 + e);
    LT sig = p >= 0 ? inv : e * inv;            /* sigmoid(p)     */
    LT sigc = p >= 0 ? e * inv : inv;           /* 1 - sigmoid(p) */
    LT wt = a * t, nt = 1 - t;
    *g = nt * sig - wt * sigc;
    /* 0 * inf is excluded: a term with zero weight contributes 0 */
    return (wt != 0 ? wt * sp_neg : (LT)0) + (nt != 0 ? nt * sp_pos : (LT)0);
}

/* Binary hinge with labels t in {-1, +1}: max(0, 1 - t p), subgradient -t where positive. */
LAMINA_VINLINE LT LEF(loss_hinge)(LT p, LT t, LT a, LT *g)
{
    LT m = 1 - t * p;
    (void)a;
    *g = m > 0 ? -t : (LT)0;
    return m <= 0 ? (LT)0 : m;                  /* NaN stays NaN (reported upstream) */
}

/* KL term of target probability t against log-probability p: t (log t - p), 0 where t = 0;
 * gradient -t. */
LAMINA_VINLINE LT LEF(loss_kl)(LT p, LT t, LT a, LT *g)
{
    (void)a;
    *g = -t;
    LT safe_t = t > 0 ? t : (LT)1;
    return t > 0 ? t * (LV(log)(safe_t) - p) : (LT)0;
}

/* Penalties on weights w = p (t unused): elastic net with l1_ratio a,
 * a |w| + (1 - a) w^2 / 2; l2 is a = 0 and l1 is a = 1 (sign(0) = 0). */
LAMINA_VINLINE LT LEF(loss_l2)(LT p, LT t, LT a, LT *g)
{
    (void)t; (void)a;
    *g = p;
    return (LT)0.5 * p * p;
}

LAMINA_VINLINE LT LEF(loss_l1)(LT p, LT t, LT a, LT *g)
{
    (void)t; (void)a;
    *g = LEF(sign)(p);
    return p < 0 ? -p : p;
}

LAMINA_VINLINE LT LEF(loss_elastic_net)(LT p, LT t, LT a, LT *g)
{
    (void)t;
    LT b = 1 - a;
    *g = a * LEF(sign)(p) + b * p;
    return a * (p < 0 ? -p : p) + b * (LT)0.5 * p * p;
}
