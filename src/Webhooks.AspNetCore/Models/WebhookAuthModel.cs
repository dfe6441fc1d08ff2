using System.Text.Json.Serialization;

namespace Webhooks.AspNetCore.Models;

/// <summary>
/// How deliveries authenticate to the receiver, as JSON:
/// <c>{"type":"none"}</c>, <c>{"type":"basic","username","password"}</c>,
/// <c>{"type":"bearer","token"}</c> or <c>{"type":"apiKey","headerName","key"}</c>.
/// Values are printable ASCII, at most 255 bytes each. Responses mask <c>password</c>, <c>token</c> and <c>key</c> as <c>****</c>.
/// </summary>
public sealed class WebhookAuthModel
{
    /// <summary><c>none</c>, <c>basic</c>, <c>bearer</c> or <c>apiKey</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Basic: the user name (no <c>:</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Username { get; init; }

    /// <summary>Basic: the password.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Password { get; init; }

    /// <summary>Bearer: the token.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    /// <summary>API key: the header that carries it, such as <c>X-Api-Key</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? HeaderName { get; init; }

    /// <summary>API key: the key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }
}
