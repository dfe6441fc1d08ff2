using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>Marks the endpoints of <c>MapWebhooks()</c> for <see cref="WebhookApiDescriptionProvider"/>.</summary>
internal sealed class WebhookApiEndpointMetadata
{
    public static readonly WebhookApiEndpointMetadata Instance = new();
}

/// <summary>
/// Gives the hand-parsed query parameters of the management endpoints their real types in API
/// descriptions (so in any OpenAPI document built from ApiExplorer: Microsoft.AspNetCore.OpenApi,
/// Swashbuckle, NSwag): <c>limit</c> is an integer and <c>active</c> a boolean. The handlers take
/// them as strings and parse them themselves, because the framework's binding answers a bad value
/// with an empty 400 (or, in Development, an exception page) where ours names the parameter in a
/// ProblemDetails.
/// </summary>
internal sealed class WebhookApiDescriptionProvider : IApiDescriptionProvider
{
    private static readonly Dictionary<string, Type> QueryTypes = new(StringComparer.Ordinal)
    {
        ["limit"] = typeof(int),
        ["active"] = typeof(bool),
    };

    private const string ModelMetadataSwitch = "Microsoft.AspNetCore.Mvc.ApiExplorer.IsEnhancedModelMetadataSupported";

    // MVC's model metadata provider reflects over types, which trimmed and native AOT apps cannot: the
    // SDK turns this switch off for them (PublishTrimmed, PublishAot), the trimmer then drops the
    // provider, and their descriptions get the real types without MVC metadata.
    [FeatureSwitchDefinition(ModelMetadataSwitch)]
    private static bool IsModelMetadataSupported { get; } = !AppContext.TryGetSwitch(ModelMetadataSwitch, out var enabled) || enabled;

    private readonly EmptyModelMetadataProvider? _metadata = IsModelMetadataSupported ? new() : null;

    /// <summary>Runs after the framework's endpoint provider (order -1100) has described the endpoints.</summary>
    public int Order => -1000;

    public void OnProvidersExecuting(ApiDescriptionProviderContext context)
    {
        foreach (var description in context.Results)
        {
            if (!description.ActionDescriptor.EndpointMetadata.Contains(WebhookApiEndpointMetadata.Instance))
            {
                continue;
            }

            foreach (var parameter in description.ParameterDescriptions)
            {
                if (parameter.Source == BindingSource.Query && QueryTypes.TryGetValue(parameter.Name, out var type))
                {
                    parameter.Type = type;
                    if (IsModelMetadataSupported && _metadata is not null)
                    {
                        parameter.ModelMetadata = _metadata.GetMetadataForType(type);
                    }
                }
            }
        }
    }

    public void OnProvidersExecuted(ApiDescriptionProviderContext context)
    {
    }
}
