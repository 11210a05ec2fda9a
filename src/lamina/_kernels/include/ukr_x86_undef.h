/* ukr_x86_undef.h -- clears the parameters of ukr_x86_template.h after an instantiation. */
#undef UKR_NAME
#undef UKR_T
#undef UKR_V
#undef UKR_MR
#undef UKR_NV
#undef UKR_NR
#undef UKR_ATTR
#undef UKR_SET1
#undef UKR_ZERO
#undef UKR_LOAD
#undef UKR_LOADU
#undef UKR_STOREU
#undef UKR_FMA
#undef UKR_ADD
#undef UKR_MUL
