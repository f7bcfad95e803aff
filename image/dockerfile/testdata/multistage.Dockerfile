# syntax=docker/dockerfile:1
# escape=\
ARG BASE=busybox
ARG VERSION

# the builder stage
FROM $BASE AS build
ENV GREETING="hello world" \
    # a comment inside a continuation
    OTHER=two
RUN echo $GREETING > /greeting && \
    echo done
WORKDIR /src
COPY --chown=1000:1000 a.txt b.txt ./
FROM scratch
COPY --from=build /greeting /greeting
LABEL org.example.title="A title" version=1
EXPOSE 8080/tcp 53/udp
USER 1000:1000
ENTRYPOINT ["/bin/app", "--flag"]
CMD ["serve"]
