{{/*
Values that cannot work, refused at `helm install` / `helm template` with a message that says what to set instead.
Rules that span several values live here rather than in values.schema.json: helm prints a schema failure at the
value it checked ("value must be true") and never the schema's description, so the cause and the fix would be
lost. Included once, from dns-deployment.yaml.
*/}}
{{- define "geodns.validate" -}}
{{- include "geodns.validate.helmVersion" . -}}
{{- $op := .Values.operator -}}
{{- if and (gt ($op.replicas | int) 1) (not $op.leaderElection.enabled) -}}
{{- fail (printf "operator.replicas is %d but operator.leaderElection.enabled is false: replicas without leader election would all write zones and status. Set operator.leaderElection.enabled=true, or operator.replicas=1" ($op.replicas | int)) -}}
{{- end -}}
{{- $dns := .Values.dns -}}
{{- if and (gt ($dns.rrl.rate | int) 0) (ne $dns.service.externalTrafficPolicy "Local") (ne $dns.service.type "ClusterIP") -}}
{{- fail (printf "dns.rrl.rate is %d but dns.service.externalTrafficPolicy is %s: behind SNAT every query seems to come from a few node addresses, and rate limiting would limit them. Set dns.service.externalTrafficPolicy=Local, or dns.rrl.rate=0" ($dns.rrl.rate | int) $dns.service.externalTrafficPolicy) -}}
{{- end -}}
{{- if and (eq $dns.service.protocols "split") (ne $dns.service.type "LoadBalancer") -}}
{{- fail (printf "dns.service.protocols=split is for LoadBalancer Services, and dns.service.type is %s: ClusterIP and NodePort Services carry UDP and TCP in one Service on every cluster. Set dns.service.protocols=mixed, or dns.service.type=LoadBalancer" $dns.service.type) -}}
{{- end -}}
{{- $metrics := .Values.metrics -}}
{{- if and $metrics.serviceMonitor.enabled (not $metrics.service.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs the metrics Services it selects: set metrics.service.enabled=true, or metrics.serviceMonitor.enabled=false" -}}
{{- end -}}
{{- $rule := $metrics.prometheusRule -}}
{{- if and $rule.enabled (not $metrics.serviceMonitor.enabled) (not (and $rule.selectors.operator $rule.selectors.dns)) -}}
{{- fail "metrics.prometheusRule.enabled: its alerts select the series of the chart's ServiceMonitors (job and namespace), which metrics.serviceMonitor.enabled=false leaves out. Set metrics.serviceMonitor.enabled=true, or set metrics.prometheusRule.selectors.operator and .dns to the PromQL label matchers of your own scrape jobs, e.g. job=\"geodns-operator\"" -}}
{{- end -}}
{{- include "geodns.validate.peerService" . -}}
{{- include "geodns.validate.workers" . -}}
{{- include "geodns.validate.oneOperator" . -}}
{{- end -}}

{{/*
The peer Service exists only with the peer listener; its load-balancer fields only on a LoadBalancer (left on
another type they would be dropped without a word, source ranges that the user counts on included).
*/}}
{{- define "geodns.validate.peerService" -}}
{{- $svc := .Values.operator.peers.service -}}
{{- if not (include "geodns.operator.peerListener" .) -}}
{{- if or (ne $svc.type "ClusterIP") $svc.annotations $svc.labels $svc.loadBalancerIP $svc.loadBalancerClass $svc.loadBalancerSourceRanges -}}
{{- fail "operator.peers.service is set but the operator serves no peer listener, so the chart makes no peer Service: set operator.peers.clusterName and operator.peers.port, or leave operator.peers.service at its defaults" -}}
{{- end -}}
{{- end -}}
{{- if ne $svc.type "LoadBalancer" -}}
{{- range $field := list "loadBalancerIP" "loadBalancerClass" "loadBalancerSourceRanges" -}}
{{- if index $svc $field -}}
{{- fail (printf "operator.peers.service.%s is set but operator.peers.service.type is %s: only a LoadBalancer Service has it. Set operator.peers.service.type=LoadBalancer, or remove operator.peers.service.%s" $field $svc.type $field) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The chart is tested with helm 4 only (Chart.yaml names the minimum; docs/install.md). */}}
{{- define "geodns.validate.helmVersion" -}}
{{- $minimum := index .Chart.Annotations "geodns.io/minimum-helm-version" -}}
{{- $helm := .Capabilities.HelmVersion.Version -}}
{{- if and $minimum (not (semverCompare (printf ">=%s-0" $minimum) $helm)) -}}
{{- fail (printf "kube-geodns needs helm %s or later, and this is helm %s: install helm %s or later (https://helm.sh/docs/intro/install/), or render the chart elsewhere and apply it with kubectl (docs/install.md)" $minimum $helm $minimum) -}}
{{- end -}}
{{- end -}}

{{/*
DNS worker threads above the CPU the pod asks for contend for it: every thread gets a slice and answers wait.
One worker is always allowed (docs/serve.md: a worker keeps answering while the main thread reads a new zone, even
on part of a core); above that, one per whole core requested (or limited, when no request is set).
*/}}
{{- define "geodns.validate.workers" -}}
{{- $resources := .Values.dns.resources -}}
{{- $cpu := dig "requests" "cpu" (dig "limits" "cpu" "" $resources) $resources | toString -}}
{{- if $cpu -}}
{{- $millis := 0.0 -}}
{{- if hasSuffix "m" $cpu -}}
{{- $millis = trimSuffix "m" $cpu | float64 -}}
{{- else -}}
{{- $millis = mulf ($cpu | float64) 1000 -}}
{{- end -}}
{{- $allowed := max 1 (floor (divf $millis 1000) | int) -}}
{{- $workers := .Values.dns.workers | int -}}
{{- if gt $workers $allowed -}}
{{- fail (printf "dns.workers is %d but the DNS pods ask for %s CPU: more DNS threads than cores contend for them and answers wait. Set dns.workers to %d or less (one per whole core, at least 1), or raise dns.resources.requests.cpu to %d" $workers $cpu $allowed $workers) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
One operator per cluster: GeoZones are cluster-scoped and every operator publishes and writes the status of every
one, so two would fight over each zone's status and serve it twice. At `helm install` and `helm upgrade` (not
`helm template`, which sees no cluster) the operator ClusterRoleBindings of other installations are looked up by
their labels: another release's, or one from deploy/kube-geodns.yaml.
*/}}
{{- define "geodns.validate.oneOperator" -}}
{{- $own := include "geodns.operator.fullname" . -}}
{{- $bindings := lookup "rbac.authorization.k8s.io/v1" "ClusterRoleBinding" "" "" -}}
{{- range (dig "items" list $bindings) -}}
{{- $labels := .metadata.labels | default dict -}}
{{- $annotations := .metadata.annotations | default dict -}}
{{- if and (eq (get $labels "app.kubernetes.io/component") "operator") (hasPrefix "kube-geodns-" (get $labels "helm.sh/chart")) -}}
{{- $release := get $annotations "meta.helm.sh/release-name" -}}
{{- $namespace := get $annotations "meta.helm.sh/release-namespace" -}}
{{- if not (and (eq $release $.Release.Name) (eq $namespace $.Release.Namespace)) -}}
{{- $where := ternary (printf "helm release %s in namespace %s" $release $namespace) "installed without helm (deploy/kube-geodns.yaml)" (ne $release "") -}}
{{- $subject := first (.subjects | default (list dict)) -}}
{{- fail (printf "another kube-geodns operator runs in this cluster: ClusterRoleBinding %s, %s, operator namespace %s. Run one operator per cluster (GeoZones are cluster-scoped: two operators would both publish and write the status of every zone). Upgrade that installation instead, or uninstall it first (docs/install.md, \"One operator per cluster\")" .metadata.name $where (get $subject "namespace")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
