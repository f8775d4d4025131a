/*
 * api_webhooks.c — postWebhook, getWebhooks, deleteWebhook: subscribers that
 * receive every event of their property (object/action are kept as given,
 * and every event goes to every subscriber, whatever they name).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cloudbeds_call.h"
#include "common/log.h"

#define OBJECT_MAX_LEN 64

static bool url_is_acceptable(const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return false;
    for (const char *p = url; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return false;
    return strlen(url) > strlen("https://");
}

int api_post_webhook(api_call_t *call)
{
    const char *object = NULL, *action = NULL, *url = NULL;
    if (api_param_text(call, "object", true, OBJECT_MAX_LEN, &object) != 0 ||
        api_param_text(call, "action", true, OBJECT_MAX_LEN, &action) != 0 ||
        api_param_text(call, "endpointUrl", true, WEBHOOKS_URL_MAX_LEN, &url) != 0)
        return 0;
    if (!url_is_acceptable(url))
        return api_fail(call, 400, "Parameter endpointUrl must be an http:// or https:// URL");
    char id[WEBHOOKS_ID_LEN];
    if (webhooks_subscribe(call->api->webhooks, call->hotel->id, object, action, url, id) != 0)
        return api_fail(call, 409, "Too many webhook subscriptions (at most %d); delete one first",
                        WEBHOOKS_MAX_SUBSCRIPTIONS);
    log_kv(LOG_LEVEL_INFO, "webhook subscribed", "subscriptionID", id, "propertyID",
           call->hotel->id, NULL);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "subscriptionID", json_object_new_string(id));
    return api_reply(call, data);
}

int api_get_webhooks(api_call_t *call)
{
    return api_reply(call, webhooks_subscriptions_json(call->api->webhooks, call->hotel->id));
}

int api_delete_webhook(api_call_t *call)
{
    const char *id = NULL;
    if (api_param_text(call, "subscriptionID", true, 1024, &id) != 0)
        return 0;
    if (strlen(id) >= WEBHOOKS_ID_LEN)
        return api_fail(call, 404, "Subscription not found");
    if (webhooks_unsubscribe(call->api->webhooks, call->hotel->id, id) != 0)
        return api_fail(call, 404, "Subscription %s not found", id);
    log_kv(LOG_LEVEL_INFO, "webhook unsubscribed", "subscriptionID", id, "propertyID",
           call->hotel->id, NULL);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    return api_reply_raw(call, o);
}
