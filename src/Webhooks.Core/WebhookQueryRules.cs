namespace Webhooks.Core;

/// <summary>The checks every paged query gets before a store sees it, the same for code and HTTP.</summary>
internal static class WebhookQueryRules
{
    public static void CheckPage(int limit, string? cursor, string idPrefix)
    {
        if (limit is < 1 or > WebhookPaging.MaxLimit)
        {
            throw new WebhookValidationException("limit", $"limit must be between 1 and {WebhookPaging.MaxLimit}.");
        }

        if (cursor is not null && !WebhookIds.IsValid(cursor, idPrefix))
        {
            throw new WebhookValidationException("cursor", "The cursor is not one this API returned; pass the nextCursor of the previous page, or none for the first page.");
        }
    }
}
