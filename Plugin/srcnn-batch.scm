; srcnn-batch.scm: batch SRCNN upscaling from the command line, installed into the GIMP profile's scripts/.
;
;   gimp -i -b '(srcnn-batch-upscale "in/*.jpg" "out/" 2.0)' -b '(gimp-quit 0)'
;   gimp -i -b '(srcnn-batch-upscale-with-weights "in/*.png" "out/" 3.0 "/path/model.safetensors")' -b '(gimp-quit 0)'
;
; Every file matching the glob is loaded, upscaled by plug-in-srcnn-upscale (cubic image scale + SRCNN on Y)
; and saved under the same name in the output folder (format from the extension), in name order; the folder
; is created if missing; a failing file is reported and skipped; a final "N succeeded, M failed" line. Flat formats: the visible
; layers are merged first (if several) and the result enhanced; XCF files keep their layers and every pixel
; layer is enhanced (layers = ALL-LAYERS). Indexed images are converted to RGB first. Weights "" = the shipped
; model nearest the scale.

(define (srcnn-batch--basename path)
  (let loop ((parts (strbreakup path "/")))
    (if (null? (cdr parts)) (car parts) (loop (cdr parts)))))

(define (srcnn-batch--folder dir)
  (if (and (> (string-length dir) 0)
           (string=? (substring dir (- (string-length dir) 1) (string-length dir)) "/"))
      dir
      (string-append dir "/")))

(define (srcnn-batch--xcf? path)
  (let ((parts (reverse (strbreakup path "."))))   ; "a.xcf" or "a.xcf.gz" / ".xcf.bz2" / ".xcf.xz"
    (and (> (length parts) 1)
         (or (string-ci=? (car parts) "xcf")
             (and (> (length parts) 2) (string-ci=? (cadr parts) "xcf"))))))

(define (srcnn-batch--insert x sorted)
  (cond ((null? sorted) (list x))
        ((string<? x (car sorted)) (cons x sorted))
        (else (cons (car sorted) (srcnn-batch--insert x (cdr sorted))))))

(define (srcnn-batch--sort names)    ; by name, so files go in the order a listing shows them
  (if (null? names) '() (srcnn-batch--insert (car names) (srcnn-batch--sort (cdr names)))))

(define (srcnn-batch--say line) (plug-in-srcnn-batch-report RUN-NONINTERACTIVE line))

; One file: load, upscale, save, close. Any failure raises an error (caught by the caller).
(define (srcnn-batch--one filename outname scale weights)
  (let ((image (car (gimp-file-load RUN-NONINTERACTIVE filename filename))))
    (if (= (car (gimp-image-base-type image)) INDEXED) (gimp-image-convert-rgb image))
    (if (srcnn-batch--xcf? filename)
        (plug-in-srcnn-upscale RUN-NONINTERACTIVE image (car (gimp-image-get-active-drawable image))
                               scale weights 1)
        (let ((layer (if (> (car (gimp-image-get-layers image)) 1)
                         (car (gimp-image-merge-visible-layers image CLIP-TO-IMAGE))
                         (car (gimp-image-get-active-drawable image)))))
          (plug-in-srcnn-upscale RUN-NONINTERACTIVE image layer scale weights 0)))
    (gimp-file-save RUN-NONINTERACTIVE image (car (gimp-image-get-active-drawable image)) outname outname)
    (gimp-image-delete image)
    #t))

; Every file of the glob, in name order; the output folder is created first (or the batch stops before any
; work); a file that fails is reported and the rest go on; a final count, and an error if anything failed or
; nothing matched (GIMP then prints "batch command experienced an execution error").
(define (srcnn-batch-upscale-with-weights pattern out-dir scale weights)
  (let ((files (srcnn-batch--sort (cadr (file-glob pattern 1))))
        (folder (srcnn-batch--folder out-dir)))
    (if (null? files) (error (string-append "srcnn-batch-upscale: no files match " pattern)))
    (plug-in-srcnn-batch-prepare-folder RUN-NONINTERACTIVE folder)
    (let loop ((rest files) (ok 0) (failed 0))
      (if (null? rest)
          (begin
            (srcnn-batch--say (string-append "srcnn-batch-upscale: " (number->string ok) " succeeded, "
                                             (number->string failed) " failed"))
            (if (> failed 0)
                (error (string-append "srcnn-batch-upscale: " (number->string failed) " of "
                                      (number->string (length files)) " files failed")))
            ok)
          (let* ((filename (car rest))
                 (outname (string-append folder (srcnn-batch--basename filename)))
                 (done (catch #f (srcnn-batch--one filename outname scale weights))))
            (if done
                (begin (srcnn-batch--say (string-append "srcnn-batch-upscale: " filename " -> " outname))
                       (loop (cdr rest) (+ ok 1) failed))
                (begin (srcnn-batch--say (string-append "srcnn-batch-upscale: FAILED " filename))
                       (loop (cdr rest) ok (+ failed 1)))))))))

(define (srcnn-batch-upscale pattern out-dir scale)
  (srcnn-batch-upscale-with-weights pattern out-dir scale ""))
