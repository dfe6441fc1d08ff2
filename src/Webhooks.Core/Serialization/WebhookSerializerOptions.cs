using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Webhooks.Core.Serialization;

/// <summary>How payloads are serialized. For trimmed or AOT apps, add your source-generated context to <see cref="JsonSerializerOptions"/>'s <c>TypeInfoResolverChain</c>.</summary>
public sealed class WebhookSerializerOptions
{
    /// <summary>The options payloads are serialized with.</summary>
    /// <value>The default is <see cref="JsonSerializerDefaults.Web"/> (camelCase) with reflection-based resolution.</value>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = CreateDefault();

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Apps that trim set their own source-generated resolver.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Apps that use AOT set their own source-generated resolver.")]
    private static JsonSerializerOptions CreateDefault() => new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = JsonSerializer.IsReflectionEnabledByDefault ? new DefaultJsonTypeInfoResolver() : WebhookJsonContext.Default,
    };
}
