using System.ComponentModel;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// The OpenAPI description of a <c>limit</c> query parameter. An attribute argument must be a
/// constant and <see cref="WebhookPaging.MaxLimit"/> is an int, so the text is built here from it
/// instead of repeating the number in a string.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
internal sealed class PageLimitDescriptionAttribute()
    : DescriptionAttribute($"Most items per page, 1 to {WebhookPaging.MaxLimit}; the default is {WebhookPaging.DefaultLimit} (WebhookEndpointOptions.DefaultPageSize).");
