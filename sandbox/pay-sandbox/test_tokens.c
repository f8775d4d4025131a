/*
 * test_tokens.c — the token table (see test_tokens.h). Card numbers and
 * messages are the ones Stripe documents for its test cards.
 */
#include "test_tokens.h"

#include <stddef.h>
#include <string.h>

#define DECLINED "Your card was declined."

typedef struct token_row {
    const char *token;
    test_token_outcome_t outcome;
} token_row_t;

#define APPROVE(tok, brand, last4)                                                                 \
    {                                                                                              \
        tok,                                                                                       \
        {                                                                                          \
            true, brand, last4, NULL, NULL, NULL, NULL                                             \
        }                                                                                          \
    }
#define DECLINE(tok, last4, code, decline, param, msg)                                             \
    {                                                                                              \
        tok,                                                                                       \
        {                                                                                          \
            false, "visa", last4, code, decline, param, msg                                        \
        }                                                                                          \
    }

static const token_row_t TOKENS[] = {
    APPROVE("tok_visa", "visa", "4242"),
    APPROVE("tok_visa_debit", "visa", "5556"),
    APPROVE("tok_mastercard", "mastercard", "4444"),
    APPROVE("tok_mastercard_debit", "mastercard", "8210"),
    APPROVE("tok_mastercard_prepaid", "mastercard", "5100"),
    APPROVE("tok_amex", "amex", "8431"),
    APPROVE("tok_discover", "discover", "1117"),
    APPROVE("tok_diners", "diners", "0004"),
    APPROVE("tok_jcb", "jcb", "0505"),
    APPROVE("tok_unionpay", "unionpay", "0005"),
    DECLINE("tok_chargeDeclined", "0002", "card_declined", "generic_decline", NULL, DECLINED),
    DECLINE("tok_visa_chargeDeclined", "0002", "card_declined", "generic_decline", NULL, DECLINED),
    DECLINE("tok_chargeDeclinedInsufficientFunds", "9995", "card_declined", "insufficient_funds",
            NULL, "Your card has insufficient funds."),
    DECLINE("tok_visa_chargeDeclinedInsufficientFunds", "9995", "card_declined",
            "insufficient_funds", NULL, "Your card has insufficient funds."),
    DECLINE("tok_insufficient_funds", "9995", "card_declined", "insufficient_funds", NULL,
            "Your card has insufficient funds."),
    DECLINE("tok_chargeDeclinedLostCard", "9987", "card_declined", "lost_card", NULL, DECLINED),
    DECLINE("tok_visa_chargeDeclinedLostCard", "9987", "card_declined", "lost_card", NULL,
            DECLINED),
    DECLINE("tok_chargeDeclinedStolenCard", "9979", "card_declined", "stolen_card", NULL, DECLINED),
    DECLINE("tok_visa_chargeDeclinedStolenCard", "9979", "card_declined", "stolen_card", NULL,
            DECLINED),
    DECLINE("tok_chargeDeclinedFraudulent", "0019", "card_declined", "fraudulent", NULL, DECLINED),
    DECLINE("tok_visa_chargeDeclinedFraudulent", "0019", "card_declined", "fraudulent", NULL,
            DECLINED),
    DECLINE("tok_chargeDeclinedExpiredCard", "0069", "expired_card", "expired_card", "exp_month",
            "Your card has expired."),
    DECLINE("tok_chargeDeclinedIncorrectCvc", "0127", "incorrect_cvc", "incorrect_cvc", "cvc",
            "Your card's security code is incorrect."),
    DECLINE("tok_chargeDeclinedProcessingError", "0119", "processing_error", "processing_error",
            NULL, "An error occurred while processing your card. Try again in a little bit."),
};

static const token_row_t VISA_PREFIX = APPROVE("tok_visa", "visa", "4242");
static const token_row_t VISA_DECLINED_VARIANT =
    DECLINE("tok_visa_chargeDeclined", "0002", "card_declined", "generic_decline", NULL, DECLINED);

const test_token_outcome_t *test_token_lookup(const char *token)
{
    if (!token)
        return NULL;
    for (size_t i = 0; i < sizeof TOKENS / sizeof TOKENS[0]; i++)
        if (strcmp(TOKENS[i].token, token) == 0)
            return &TOKENS[i].outcome;
    if (strncmp(token, "tok_visa", strlen("tok_visa")) == 0)
        return strstr(token, "chargeDeclined") ? &VISA_DECLINED_VARIANT.outcome
                                               : &VISA_PREFIX.outcome;
    return NULL;
}
