{{/*
musiccorp-common.pod.spec: the pod spec shared by web, consumer and migrate pods, so the
security and scheduling settings cannot drift between them.
Call with (dict "root" $ "containers" <yaml list> "waitForMigrations" bool "restartPolicy" "Always"
"component" "web" "replicas" <the most replicas>); a Deployment passes component and replicas
for its topologySpreadConstraints (musiccorp-common.pod.topologySpread).
*/}}
{{- define "musiccorp-common.pod.spec" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "musiccorp-common.names.serviceaccount" $root }}
automountServiceAccountToken: false
enableServiceLinks: false
restartPolicy: {{ .restartPolicy | default "Always" }}
terminationGracePeriodSeconds: {{ include "musiccorp-common.pod.gracePeriod" $root }}
securityContext:
  {{- include "musiccorp-common.pod.securityContext" $root | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and .waitForMigrations $root.Values.migrations.enabled }}
initContainers:
  {{- include "musiccorp-common.pod.waitForMigrations" $root | nindent 2 }}
{{- end }}
containers:
  {{- .containers | nindent 2 }}
volumes:
  {{- include "musiccorp-common.pod.volumes" $root | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "musiccorp-common.pod.topologySpread" (dict "root" $root "component" .component "replicas" (.replicas | default 1)) }}
topologySpreadConstraints:
  {{- . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
